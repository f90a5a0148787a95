// The counter page: read a voucher's QR code with the camera where the browser can (BarcodeDetector), or from a
// photo (the browser's detector, else the server's /verify/decode-qr, as the verifier page does); the text then goes
// into the voucher box and the form is sent. Typing always works: nothing here is needed to check a voucher.
(function () {
  "use strict";

  function start() {
    var form = document.getElementById("voucher-form");
    if (!form) return;
    var input = form.querySelector("textarea[name=voucher]");
    var scanButton = document.getElementById("scan-button");
    var photoLabel = document.getElementById("photo-label");
    var photoInput = document.getElementById("photo-input");
    var scanner = document.getElementById("scanner");
    var video = document.getElementById("scanner-video");
    var problem = document.getElementById("scan-problem");
    var decodeUrl = form.getAttribute("data-decode-url");
    var hasDetector = "BarcodeDetector" in window;
    var stream = null, timer = null;

    // After a scan, a hand-out or a refusal, the answer takes the focus (screen readers read it; the page shows it).
    var answer = document.querySelector("[data-focus]");
    if (answer && !document.querySelector("[data-error-summary]")) answer.focus();

    function say(text) {
      problem.textContent = text;
      problem.hidden = !text;
    }
    function submit(text) {
      input.value = text;
      var button = form.querySelector("button[name=form][value=check]");
      if (form.requestSubmit) form.requestSubmit(button); else button.click();
    }
    function stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      scanner.hidden = true;
    }

    if (hasDetector && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      scanButton.hidden = false;
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      scanButton.addEventListener("click", async function () {
        say("");
        try {
          stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
        } catch (e) {
          say(problem.getAttribute("data-no-camera"));
          return;
        }
        video.srcObject = stream;
        scanner.hidden = false;
        await video.play();
        var look = async function () {
          if (!stream) return;
          try {
            var codes = await detector.detect(video);
            if (codes.length && codes[0].rawValue) {
              stop();
              submit(codes[0].rawValue);
              return;
            }
          } catch (e) { /* a frame that is not ready yet */ }
          timer = setTimeout(look, 120);
        };
        look();
      });
      document.getElementById("scan-stop").addEventListener("click", stop);
    }

    async function readInBrowser(file) {
      var codes = await new window.BarcodeDetector({ formats: ["qr_code"] }).detect(await createImageBitmap(file));
      return codes.length ? codes[0].rawValue : null;
    }
    async function readOnServer(file) {
      var body = new FormData(), token = form.querySelector("input[name=csrfmiddlewaretoken]");
      body.append("image", file);
      var reply = await fetch(decodeUrl, { method: "POST", body: body, credentials: "same-origin",
                                           headers: token ? { "X-CSRFToken": token.value } : {} });
      var data = await reply.json();
      if (!reply.ok) throw new Error(data.error || reply.statusText);
      return data.text;
    }
    if (hasDetector || decodeUrl) {
      photoLabel.hidden = false;
      photoInput.addEventListener("change", async function () {
        var file = photoInput.files[0];
        if (!file) return;
        var text = null, message = problem.getAttribute("data-no-code");
        say("");
        try { if (hasDetector) text = await readInBrowser(file); } catch (e) { text = null; }
        if (text === null && decodeUrl) {
          try { text = await readOnServer(file); } catch (e) { message = e.message; }
        }
        photoInput.value = "";
        if (text) submit(text); else say(message);
      });
    }
    window.addEventListener("pagehide", stop);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
