// A paper's page: the "Copy BibTeX" button (the page works without it).
(function () {
  "use strict";
  var button = document.querySelector("button.copy[data-copy]");
  var source = button && document.getElementById(button.getAttribute("data-copy"));
  if (!button || !source || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(source.textContent).then(
      function () { button.textContent = "Copied"; },
      function () { button.textContent = "Copy failed: select the text above"; }
    );
  });
})();
