// modelswap console: confirmation before any form that changes what serves traffic.
// The question is on the button pressed (a form may have two: roll back all, undo all), else on the form.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
