// Messages are markdown written by people and models: rendered, then sanitised, so
// formatting survives and scripts, event handlers and javascript: links never run.
import DOMPurify from "dompurify";
import { marked } from "marked";

// Raw HTML in a message is shown as the text it is, never interpreted.
marked.use({
  gfm: true,
  breaks: true,
  renderer: {
    html(token) {
      return escapeHtml(token.text);
    },
  },
});

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
});

export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false });
  return DOMPurify.sanitize(html, {
    FORBID_TAGS: ["style", "form", "input", "button", "iframe", "img", "video", "audio"],
    FORBID_ATTR: ["style"],
  });
}
