using HaloPortal.Engine.Parsing;
using HaloPortal.Engine.Tickets;
using static HaloPortal.Tests.Parsing.ParsingCorpus;

namespace HaloPortal.Tests.Security;

/// <summary>
/// Attacker HTML through the parser, the cid: resolution the ticket writer does once attachments have ids, and the display
/// path: what is stored and what is shown must be inert (<see cref="InertHtml"/>).
/// </summary>
public sealed class EmailHtmlAttackTests
{
    /// <summary>What TicketWriter stores: the parsed (sanitised) body with cid: images pointed at the stored attachment.</summary>
    private static string Stored(string mime)
    {
        var email = Parse(mime);
        return HtmlCid.Rewrite(email.NewContentHtml ?? email.HtmlBody ?? "", id => id == "foo" ? "/attachments/1" : null);
    }

    [Fact]
    public void The_reported_alt_attribute_breakout_stores_no_event_handler()
    {
        var stored = Stored(AttackMail.WithInlineImage(AttackMail.AltBreakout));

        InertHtml.Assert(stored);
        var image = Assert.Single(InertHtml.Elements(stored), e => e.LocalName == "img");
        Assert.Equal("src=cid:foo onerror=alert(document.domain) ", image.GetAttribute("alt"));
        Assert.Null(image.GetAttribute("onerror"));
    }

    [Theory]
    [InlineData("<img src=x alt=\"src=cid:foo onerror=alert(1) \">")]
    [InlineData("<img src=\"cid:foo\" title='src=cid:foo onerror=alert(1) x='>")]
    [InlineData("<p title='x src=cid:foo onmouseover=alert(1) y'>hover</p>")]
    [InlineData("<a href=\"https://ok.example\" title='src=\"cid:foo\" onclick=alert(1) x='>link</a>")]
    [InlineData("<div style=\"color:red\" title=\"src='cid:foo' onfocus=alert(1) autofocus tabindex=1 \">x</div>")]
    [InlineData("<img alt='SRC = cid:foo onerror=alert(1)//' src=x>")]
    [InlineData("<table><tr><td title='src=cid:foo onclick=alert(1) '>cell</td></tr></table>")]
    [InlineData("<img src=x alt='src=cid:foo' onerror=alert(1)>")]
    [InlineData("<img src='cid:foo' alt='&#39;src=cid:foo onerror=alert(1) '>")]
    public void Cid_text_in_any_attribute_stays_text_after_the_inline_image_is_resolved(string html)
    {
        var stored = Stored(AttackMail.WithInlineImage(html));

        InertHtml.Assert(stored);
        Assert.DoesNotContain(InertHtml.Elements(stored), e => e.Attributes.Any(a => a.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase)));
    }

    [Theory]
    [InlineData("quoted-printable")]
    [InlineData("base64")]
    public void The_alt_breakout_hidden_by_a_transfer_encoding_is_just_as_inert(string encoding)
    {
        var stored = Stored(AttackMail.WithInlineImage(AttackMail.AltBreakout, transferEncoding: encoding));

        InertHtml.Assert(stored);
        Assert.Contains("onerror=alert(document.domain)", Assert.Single(InertHtml.Elements(stored), e => e.LocalName == "img").GetAttribute("alt"));
    }

    [Fact]
    public void A_real_inline_image_still_points_at_its_attachment_and_is_marked_inline()
    {
        var mime = AttackMail.WithInlineImage("<p>Logo:</p><img src=\"cid:foo\" alt=\"logo\"><img src=\"CID:%3Cfoo%3E\">");

        var email = Parse(mime);
        var stored = Stored(mime);

        InertHtml.Assert(stored);
        Assert.Equal(["/attachments/1", "/attachments/1"], InertHtml.Elements(stored).Where(e => e.LocalName == "img").Select(e => e.GetAttribute("src")));
        Assert.True(Assert.Single(email.Attachments).IsInline);
    }

    [Fact]
    public void Only_an_image_source_makes_an_attachment_inline()
    {
        var email = Parse(AttackMail.WithInlineImage("<p title=\"cid:foo\">text cid:foo</p><a href=\"cid:foo\">x</a>"));

        Assert.False(Assert.Single(email.Attachments).IsInline);
    }

    public static TheoryData<string> Vectors() =>
    [
        "<img src=x onerror=alert(1)>",
        "<IMG SRC=\"javascript:alert('XSS');\">",
        "<img srcset=\"https://ok.example/a.png 1x, javascript:alert(1) 2x\">",
        "<img src=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">",
        "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
        "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">entity</a>",
        "<a href=\"jav&#x09;ascript:alert(1)\">tab</a>",
        "<a href=\"vbscript:msgbox(1)\">vb</a>",
        "<a href=\"data:text/html,<script>alert(1)</script>\">data</a>",
        "<table background=\"javascript:alert(1)\"><tr><td background=\"https://tracker.example/bg.gif\">x</td></tr></table>",
        "<body background=\"javascript:alert(1)\" onload=\"alert(1)\">b</body>",
        "<svg onload=alert(1)><circle r=1></circle></svg>",
        "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
        "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
        "<div style=\"width: expression(alert(1))\">e</div>",
        "<div style=\"background-image: url(javascript:alert(1))\">u</div>",
        "<div style=\"background-image: u\\72l(javascript:alert(1))\">escaped</div>",
        "<div style=\"background: url('https://tracker.example/p.gif')\">tracked</div>",
        "<div style=\"behavior: url(x.htc); -moz-binding: url(x.xml#xss)\">b</div>",
        "<div style=\"position: fixed; top: 0; left: 0; width: 100%; height: 100%; z-index: 99999; background: white\">overlay</div>",
        "<div class=\"mud-appbar mud-overlay\" id=\"app\" name=\"portal\">clobber</div>",
        "<style>body{display:none}</style><link rel=stylesheet href=https://evil.example/x.css>",
        "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
        "<object data=\"javascript:alert(1)\"></object><embed src=\"javascript:alert(1)\">",
        "<form action=\"javascript:alert(1)\"><button formaction=\"javascript:alert(1)\">go</button></form>",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\"><base href=\"javascript:alert(1)//\">",
        "<video poster=\"javascript:alert(1)\"><source src=\"x\" onerror=\"alert(1)\"></video>",
        "<details open ontoggle=alert(1)>d</details>",
        "<img src=\"x\" \"\"><script>alert(1)</script>\">",
        "<<img src=x onerror=alert(1)//<",
        "<img \"\"\"><script>alert(1)</script>\">",
        "<scr<script>ipt>alert(1)</scr</script>ipt>",
        "<a href=\"/api/v1/backend-services\" ping=\"https://tracker.example/ping\">ping</a>",
        "<img src=\"/account/logout\"><img src=\"api/v1/tickets\"><img src=\"//tracker.example/p.gif\">",
        "<p style=\"color: red\" onmouseover=\"alert(1)\">&lt;script&gt;alert(1)&lt;/script&gt;</p>",
    ];

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Known_xss_and_restyling_vectors_are_inert_when_stored_and_when_shown(string html)
    {
        var stored = Stored(AttackMail.WithInlineImage(html));
        var shown = MessageBodies.ForDisplay(stored);

        InertHtml.Assert(stored);
        InertHtml.Assert(shown);
        InertHtml.Assert(EmailHtmlSanitizer.Sanitize(html));
    }

    [Fact]
    public void Harmless_presentation_survives_colours_tables_links_and_base64_images()
    {
        var html = EmailHtmlSanitizer.Sanitize(
            "<table style=\"border-collapse: collapse\"><tr><td style=\"padding: 4px; color: red; font-weight: bold\">Total</td></tr></table>" +
            "<a href=\"https://contoso.example/pay\">pay</a><img src=\"data:image/png;base64," + AttackMail.PngBase64 + "\">");

        Assert.Contains("padding: 4px", html);
        Assert.Contains("color: rgba(255, 0, 0, 1)", html);
        Assert.Contains("<a href=\"https://contoso.example/pay\" target=\"_blank\" rel=\"noopener noreferrer\">pay</a>", html);
        Assert.Contains("src=\"data:image/png;base64,", html);
    }
}
