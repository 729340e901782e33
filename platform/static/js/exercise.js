// Exercise and submission pages: the ACE code editor, submitting and running
// the visible checks without a page load, and polling a submission's status
// until its verdict is final. Every form also works without this script: it
// posts and the server redirects to the submission's page, which refreshes
// itself while pending.
(function () {
  "use strict";

  var POLL_INTERVAL_MS = 400;
  // Stop polling after this long; the exercise's time limits end a grading
  // well before, so reaching it means the queue is stalled.
  var POLL_GIVE_UP_MS = 15 * 60 * 1000;

  var verdictRegion = document.getElementById("verdict");
  var errorRegion = document.getElementById("submit-error");
  var runVisibleButton = document.getElementById("run-visible");
  var editorInstance = null;

  function setUpEditor() {
    var textarea = document.getElementById("id_source");
    var toggle = document.getElementById("editor-toggle");
    if (!textarea || !window.ace) {
      return null;
    }
    ace.config.set("basePath", textarea.dataset.aceBase);
    var container = document.createElement("div");
    container.className = "ace-editor";
    textarea.parentNode.insertBefore(container, textarea);
    var editor = ace.edit(container, {
      mode: "ace/mode/python",
      theme: "ace/theme/textmate",
      value: textarea.value,
      tabSize: 4,
      useSoftTabs: true,
      showPrintMargin: false,
      minLines: 16,
      maxLines: 40,
      fontSize: 14,
      // Escape, then Tab, leaves the editor, so keyboard users are not trapped.
      enableKeyboardAccessibility: true,
    });
    var input = editor.textInput.getElement();
    input.setAttribute("aria-label", "Code");
    input.setAttribute("aria-describedby", "source-help");
    textarea.hidden = true;
    // ACE handles its keys before the page does, so the shortcut is bound here
    // as well as on the document (see setUpRunShortcut).
    editor.commands.addCommand({
      name: "runVisibleChecks",
      bindKey: { win: "Ctrl-Enter", mac: "Command-Enter" },
      exec: runVisibleChecks,
    });
    editor.session.on("change", function () {
      textarea.value = editor.getValue();
    });
    document.querySelector('label[for="id_source"]').addEventListener("click", function () {
      if (textarea.hidden) {
        editor.focus();
      }
    });

    editorInstance = editor;
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var usePlain = !textarea.hidden;
      if (usePlain) {
        // Switch back to the editor with what was typed in the text box.
        editor.setValue(textarea.value, 1);
        textarea.hidden = true;
        container.hidden = false;
        toggle.textContent = "Use a plain text box";
        editor.focus();
      } else {
        textarea.value = editor.getValue();
        container.hidden = true;
        textarea.hidden = false;
        toggle.textContent = "Use the code editor";
        textarea.focus();
      }
    });
  }

  // Keeps the code in localStorage under a key per exercise and version, so a
  // reload or a closed tab does not lose it. The draft is restored on load
  // unless the server re-rendered the learner's own code after a rejection.
  function setUpDraft(getCode, setCode) {
    var textarea = document.getElementById("id_source");
    var status = document.getElementById("draft-status");
    var key = textarea.dataset.draftKey;
    var storage;
    try {
      storage = window.localStorage;
    } catch (error) {
      return;  // storage disabled by the browser's settings
    }
    var draft = storage.getItem(key);
    if (draft !== null && draft !== textarea.value && !textarea.dataset.draftSkip) {
      setCode(draft);
      status.textContent = "Restored your draft from this browser.";
      status.hidden = false;
    }
    var timer = null;
    return function save() {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        try {
          storage.setItem(key, getCode());
        } catch (error) {
          // The quota is full: the draft is not saved, but the code is still in the editor.
        }
      }, 500);
    };
  }

  function setUpRestore(setCode) {
    var button = document.getElementById("restore-starter");
    var starter = document.getElementById("starter-source");
    var status = document.getElementById("draft-status");
    if (!button || !starter) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      if (!window.confirm("Replace your code with the starter code? Your draft will be overwritten.")) {
        return;
      }
      setCode(JSON.parse(starter.textContent));
      status.textContent = "Restored the starter code.";
      status.hidden = false;
    });
  }

  function runVisibleChecks() {
    if (runVisibleButton && !runVisibleButton.disabled) {
      runVisibleButton.click();
    }
  }

  // Ctrl+Enter, or Command+Enter on a Mac, runs the visible checks from
  // anywhere on the page. It never submits, so a stray key press cannot use up
  // an attempt.
  function setUpRunShortcut() {
    if (!runVisibleButton) {
      return;
    }
    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.key !== "Enter" || event.altKey || event.shiftKey) {
        return;
      }
      if (event.ctrlKey || event.metaKey) {
        event.preventDefault();
        runVisibleChecks();
      }
    });
    document.getElementById("run-visible-shortcut").hidden = false;
  }

  function showError(message, messageId) {
    if (!errorRegion) {
      return;
    }
    errorRegion.textContent = message;
    errorRegion.dataset.messageId = messageId || "";
    errorRegion.hidden = false;
  }

  function clearError() {
    if (errorRegion) {
      errorRegion.hidden = true;
      errorRegion.textContent = "";
    }
  }

  // The server renders the fragments with Django's autoescaping, so the
  // learner's output in them is already escaped.
  function showVerdict(payload) {
    var current = verdictRegion.querySelector("[data-status]");
    if (current && current.dataset.status === payload.status && current.dataset.submissionId === String(payload.id)) {
      return;  // unchanged: do not make screen readers announce it again
    }
    verdictRegion.innerHTML = payload.html;
    verdictRegion.setAttribute("aria-busy", payload.final ? "false" : "true");
    updateHistory(payload);
    if (payload.final) {
      var heading = verdictRegion.querySelector(".verdict-heading");
      if (heading) {
        heading.focus();
      }
    }
  }

  function updateHistory(payload) {
    var table = document.getElementById("submissions");
    if (!table || !payload.row_html) {
      return;
    }
    var body = table.tBodies[0];
    var template = document.createElement("template");
    template.innerHTML = payload.row_html.trim();
    var row = template.content.firstElementChild;
    var existing = body.querySelector('tr[data-submission-id="' + payload.id + '"]');
    if (existing) {
      body.replaceChild(row, existing);
    } else {
      body.insertBefore(row, body.firstChild);
    }
    table.hidden = false;
    var empty = document.getElementById("no-submissions");
    if (empty) {
      empty.hidden = true;
    }
  }

  function poll(statusUrl) {
    var started = Date.now();
    function step() {
      fetch(statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("status " + response.status);
          }
          return response.json();
        })
        .then(function (payload) {
          showVerdict(payload);
          if (!payload.final) {
            if (Date.now() - started > POLL_GIVE_UP_MS) {
              showError("Grading is taking unusually long. Reload the page later to see the verdict.");
              return;
            }
            window.setTimeout(step, POLL_INTERVAL_MS);
          }
        })
        .catch(function () {
          showError("Lost contact with the server. Reload the page to see the verdict.");
        });
    }
    window.setTimeout(step, POLL_INTERVAL_MS);
  }

  function submitWithoutReload(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      // Submit posts to the form's action, and Run visible checks posts to
      // its own formaction.
      var submitter = event.submitter || form.querySelector('button[type="submit"]');
      var action = submitter.hasAttribute("formaction") ? submitter.formAction : form.action;
      var buttons = form.querySelectorAll('button[type="submit"]');
      buttons.forEach(function (button) {
        button.disabled = true;
      });
      clearError();
      fetch(action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (type.indexOf("application/json") !== 0) {
            throw new Error("status " + response.status);
          }
          return response.json().then(function (payload) {
            if (!response.ok) {
              showError(payload.error.message, payload.error.id);
              return;
            }
            showVerdict(payload);
            poll(payload.status_url);
          });
        })
        .catch(function () {
          showError("Your code could not be sent. Check your connection, or log in again, and retry.");
        })
        .finally(function () {
          buttons.forEach(function (button) {
            button.disabled = false;
          });
        });
    });
  }

  setUpEditor();
  setUpRunShortcut();
  var sourceBox = document.getElementById("id_source");
  if (sourceBox) {
    var getCode = function () {
      return sourceBox.value;
    };
    // The textarea mirrors the editor on every change, so it is the one source to read.
    var setCode = function (code) {
      sourceBox.value = code;
      if (editorInstance) {
        editorInstance.setValue(code, 1);
      }
      if (saveDraft) {
        saveDraft();
      }
    };
    var saveDraft = setUpDraft(getCode, setCode);
    if (saveDraft) {
      sourceBox.addEventListener("input", saveDraft);
      if (editorInstance) {
        editorInstance.session.on("change", saveDraft);
      }
    }
    setUpRestore(setCode);
  }
  ["code-form", "upload-form"].forEach(function (id) {
    var form = document.getElementById(id);
    if (form && verdictRegion && window.fetch) {
      submitWithoutReload(form);
    }
  });
  if (verdictRegion && verdictRegion.dataset.statusUrl) {
    poll(verdictRegion.dataset.statusUrl);
  }
})();
