/** The dashboard's one page, rendered on the server. Every value from outside goes through escapeHtml. */
import type { BotStatus, MessagesResult } from './bot-api.ts';

export interface PageModel {
  version: string;
  status: BotStatus;
  /** Who is signed in, and their messages; undefined shows the sign-in form. */
  operator: { name: string; messages: MessagesResult } | undefined;
  apiPublicUrl: string | undefined;
  notice?: string;
}

export function renderPage(model: PageModel): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wpp-bot dashboard</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 50rem; padding: 0 1rem; color: #1f2328; }
  .status { padding: 0.75rem 1rem; border-radius: 0.5rem; font-weight: 600; }
  .ready { background: #dafbe1; } .not-ready { background: #fff8c5; } .unreachable { background: #ffebe9; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 0.4rem; border-bottom: 1px solid #d0d7de; }
  .notice { color: #cf222e; } footer { margin-top: 2rem; color: #59636e; font-size: 0.9rem; }
</style>
</head>
<body>
<h1>wpp-bot</h1>
${renderStatus(model.status)}
${model.notice ? `<p class="notice">${escapeHtml(model.notice)}</p>` : ''}
${model.operator ? renderMessages(model.operator.name, model.operator.messages) : renderSignIn()}
<footer>wpp-bot-dashboard ${escapeHtml(model.version)}${model.apiPublicUrl ? ` · API: <a href="${escapeHtml(model.apiPublicUrl)}">${escapeHtml(model.apiPublicUrl)}</a>` : ''}</footer>
</body>
</html>
`;
}

function renderStatus(status: BotStatus): string {
  if (status.state === 'ready') return '<p class="status ready">Bot status: ready</p>';
  const css = status.state === 'not ready' ? 'not-ready' : 'unreachable';
  return `<p class="status ${css}">Bot status: ${status.state} — ${escapeHtml(status.reason)}</p>`;
}

function renderMessages(operator: string, result: MessagesResult): string {
  const signOut = `<form method="post" action="/logout"><p>Signed in as ${escapeHtml(operator)} <button type="submit">Sign out</button></p></form>`;
  if (!result.ok) return `${signOut}<p class="notice">Messages are not available: ${escapeHtml(result.reason)}.</p>`;
  if (result.messages.length === 0) return `${signOut}<p>No messages yet.</p>`;
  const rows = result.messages
    .map(
      (message) =>
        `<tr><td>${escapeHtml(new Date(message.receivedAt).toISOString().replace('T', ' ').slice(0, 19))} UTC</td><td>${escapeHtml(message.sender)}</td><td>${escapeHtml(message.text)}</td></tr>`,
    )
    .join('\n');
  return `${signOut}
<h2>Recent messages</h2>
<table>
<thead><tr><th>Received</th><th>From</th><th>Message</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

function renderSignIn(): string {
  return `<h2>Sign in to see the messages</h2>
<form method="post" action="/login">
<p><label>Session token <input type="password" name="token" autocomplete="off" required></label> <button type="submit">Sign in</button></p>
</form>
<p>An administrator makes a token with <code>node src/session-token.ts</code> where the dashboard runs.</p>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
