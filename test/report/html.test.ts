import { describe, expect, it } from "vitest";
import { escapeHtml, jsonForHtml, reportHtml } from "../../src/report/html.js";

const hostile = `</script><script>alert("x")</script><!-- & 'q'`;

describe("report HTML", () => {
  it("escapes the five HTML-special characters", () => {
    expect(escapeHtml(`<a href="x">&'</a>`)).toBe(
      "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;",
    );
  });

  it("embeds JSON that cannot close its <script> element and reads back unchanged", () => {
    const value = { name: hostile, x: [1.5, Number.POSITIVE_INFINITY, Number.NaN] };
    const text = jsonForHtml(value);
    expect(text).not.toMatch(/[<>&]/);
    expect(JSON.parse(text)).toEqual({ name: hostile, x: [1.5, null, null] });
  });

  it("escapes every user text: title, lead, paragraphs, table cells, captions", () => {
    const html = reportHtml({
      title: hostile,
      lead: hostile,
      sections: [
        { title: hostile, text: [hostile], table: [[hostile], [hostile]], caption: hostile },
      ],
      data: { name: hostile },
    });
    // the only <script is the data block's opening tag; no user "<" survives
    expect(html.match(/<script\b/g)).toHaveLength(1);
    expect(html).not.toContain('alert("x")</script>');
    expect(html).not.toContain("<!--");
    // <title>, <h1>, lead, <h2>, paragraph, two cells (no svg: no caption)
    expect(html.split("&lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)").length - 1).toBe(7);
  });

  it("inlines an SVG document without its XML prologue", () => {
    const html = reportHtml({
      title: "t",
      lead: "l",
      sections: [
        {
          title: "s",
          svg: '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>',
        },
      ],
      data: {},
    });
    expect(html).toContain('<figure>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>');
    expect(html).not.toContain("<?xml");
  });
});
