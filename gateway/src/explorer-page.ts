// The query page's HTML, script and style: one self-contained page (nothing loaded from anywhere
// else, so it works offline), kept apart from the code that decides when to serve it.

export const EXPLORER_STYLE = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,sans-serif;color:#1b1f24;background:#f6f7f9}
header{padding:12px 20px;background:#1f3b57;color:#fff}
header h1{margin:0;font-size:18px}
header p{margin:4px 0 0;font-size:13px;opacity:.85}
header a{color:#fff}
main{display:grid;grid-template-columns:1fr 1fr;gap:16px;padding:16px 20px}
@media (max-width:800px){main{grid-template-columns:1fr}}
label,h2.label{display:block;font-size:15px;font-weight:600;margin:10px 0 4px}
textarea,input{width:100%;font:13px/1.4 ui-monospace,monospace;padding:8px;border:1px solid #b8c0ca;border-radius:4px;background:#fff}
textarea#query{min-height:260px}
textarea#variables{min-height:120px}
button{margin-top:12px;padding:8px 20px;font:inherit;font-weight:600;color:#fff;background:#1f6feb;border:0;border-radius:4px;cursor:pointer}
button:disabled{background:#8aa9d6;cursor:wait}
pre#result{margin:0;min-height:420px;padding:10px;overflow:auto;background:#fff;border:1px solid #b8c0ca;border-radius:4px;font:13px/1.4 ui-monospace,monospace;white-space:pre-wrap}
#status{margin-left:10px;font-size:13px}
.error{color:#b42318}
`;

export const EXPLORER_SCRIPT = `
(function () {
  var form = document.getElementById('explorer');
  var run = document.getElementById('run');
  var status = document.getElementById('status');
  var result = document.getElementById('result');
  var token = document.getElementById('token');
  var saved = sessionStorage.getItem('exchange-explorer-token');
  if (saved) token.value = saved;
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var variables = {};
    var text = document.getElementById('variables').value.trim();
    status.className = '';
    if (text) {
      try {
        variables = JSON.parse(text);
      } catch (err) {
        status.textContent = 'Variables are not JSON: ' + err.message;
        status.className = 'error';
        return;
      }
    }
    var headers = { 'content-type': 'application/json' };
    var bearer = token.value.trim().replace(/^Bearer\\s+/i, '');
    if (bearer) headers.authorization = 'Bearer ' + bearer;
    sessionStorage.setItem('exchange-explorer-token', bearer);
    run.disabled = true;
    status.textContent = 'Running…';
    var started = Date.now();
    fetch(location.pathname, { method: 'POST', headers: headers, body: JSON.stringify({ query: document.getElementById('query').value, variables: variables }) })
      .then(function (res) {
        return res.text().then(function (body) {
          var shown = body;
          try {
            shown = JSON.stringify(JSON.parse(body), null, 2);
          } catch (err) {}
          result.textContent = shown;
          status.textContent = 'HTTP ' + res.status + ' in ' + (Date.now() - started) + ' ms';
          if (!res.ok || /"errors"/.test(body)) status.className = 'error';
        });
      })
      .catch(function (err) {
        status.textContent = 'Request failed: ' + err.message;
        status.className = 'error';
      })
      .then(function () {
        run.disabled = false;
      });
  });
})();
`;

const DEFAULT_QUERY = `# Paste a token (npm run -s token -- --role BUYER --sub buyer-acme) and Run.
# docs/EXAMPLES.md has an operation for every step of the flow.
query Bills {
  bills(first: 5) {
    nodes { id number kind total { amount currency } buyer { name } carrier { name } }
  }
}`;

export function explorerHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphQL query page · telecom service exchange</title>
<style>${EXPLORER_STYLE}</style>
</head>
<body>
<header>
<h1>GraphQL query page</h1>
<p>Send an operation to this gateway. Served by the gateway itself, nothing loaded from elsewhere. Subscriptions run over WebSocket on this path; see docs/EXAMPLES.md. The <a href="/portal/">portal</a> is the full user interface.</p>
</header>
<main>
<form id="explorer">
<label for="token">Bearer token</label>
<input id="token" name="token" type="password" autocomplete="off" spellcheck="false" placeholder="eyJ… (npm run -s token -- --role ADMIN --sub admin)">
<label for="query">Query</label>
<textarea id="query" name="query" spellcheck="false" wrap="off">${DEFAULT_QUERY}</textarea>
<label for="variables">Variables (JSON)</label>
<textarea id="variables" name="variables" spellcheck="false" wrap="off">{}</textarea>
<button id="run" type="submit">Run</button><span id="status" role="status" aria-live="polite"></span>
</form>
<section aria-labelledby="result-title">
<h2 id="result-title" class="label">Result</h2>
<pre id="result" tabindex="0"></pre>
</section>
</main>
<script>${EXPLORER_SCRIPT}</script>
</body>
</html>
`;
}
