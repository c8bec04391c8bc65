// The receipt's QR code opens /tra-cuu?ma=<code>#ma-tra-cuu=<secret>: the fragment never
// reaches a server, so the secret is read here, taken out of the address (and the history),
// and sent in the lookup form's POST body like a typed one.
(function () {
  "use strict";
  var match = /(?:^#|&)ma-tra-cuu=([0-9A-Za-z]{1,40})(?:&|$)/.exec(window.location.hash);
  var form = document.getElementById("lookup-form");
  if (!match || !form) {
    return;
  }
  history.replaceState(null, "", window.location.pathname + window.location.search);
  form.elements.secret.value = match[1];
  if (form.elements.code.value) {
    form.submit();
  }
})();
