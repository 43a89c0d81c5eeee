// Selecting a passage of the stored text fills in the citing form: the quote and its
// offsets in code points (as the server counts: Python str indexes), not UTF-16 units.
(function () {
  "use strict";
  var text = document.getElementById("casefiles-source-text");
  var form = document.getElementById("casefiles-cite-form");
  if (!text || !form) return;

  function offset(node, at) {
    // The piece holding `node` knows its start; count code points before `at` in it.
    var piece = node.nodeType === 3 ? node.parentElement : node;
    if (!piece || !piece.hasAttribute("data-start") || !text.contains(piece)) return null;
    var before = node.nodeType === 3 ? node.data.slice(0, at) : "";
    return Number(piece.getAttribute("data-start")) + Array.from(before).length;
  }

  function fill() {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return;
    var range = selection.getRangeAt(0);
    var start = offset(range.startContainer, range.startOffset);
    var end = offset(range.endContainer, range.endOffset);
    if (start === null || end === null || end <= start) return;
    var all = Array.from(text.textContent);
    form.elements.quote.value = all.slice(start, end).join("");
    form.elements.start.value = String(start);
    form.elements.end.value = String(end);
    document.getElementById("casefiles-selection").textContent = start + "–" + end;
  }

  text.addEventListener("mouseup", fill);
  text.addEventListener("keyup", fill);
})();
