using HaloPortal.Engine.Parsing;
using static HaloPortal.Tests.Parsing.ParsingCorpus;

namespace HaloPortal.Tests.Parsing;

public sealed class HtmlSanitisingTests
{
    [Fact]
    public void Script_and_onclick_are_removed_but_cid_images_stay()
    {
        var html = Load("unsafe-html.eml").HtmlBody!;

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("document.cookie", html);
        Assert.DoesNotContain("onclick", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("onload", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("steal()", html);
        Assert.Contains("src=\"cid:logo@evil.example\"", html);
        Assert.Contains("Please pay the attached invoice.", html);
    }

    [Fact]
    public void Frames_forms_objects_and_stylesheets_are_removed()
    {
        var html = Load("unsafe-html.eml").HtmlBody!;

        foreach (var tag in new[] { "<iframe", "<form", "<input", "<button", "<object", "<link", "<style", "display:none" })
            Assert.DoesNotContain(tag, html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Tables_inline_styles_links_and_image_sources_are_kept_safely()
    {
        var html = Load("unsafe-html.eml").HtmlBody!;

        Assert.Contains("<table", html);
        Assert.Contains("style=\"padding: 4px\"", html);
        Assert.Contains("style=\"color: rgba(255, 0, 0, 1)\"", html);
        Assert.Contains("<a href=\"https://contoso.com/pay\" target=\"_blank\" rel=\"noopener noreferrer\">pay here</a>", html);
        Assert.Contains("src=\"data:image/png;base64,iVBORw0KGgo=\"", html);
        Assert.Contains("data-remote-src=\"https://cdn.example/banner.png\"", html);
        Assert.DoesNotContain("javascript:", html);
        Assert.DoesNotContain("data:text/html", html);
    }

    [Fact]
    public void New_content_html_is_sanitised_too()
    {
        var email = Parse("""
            From: a@example.com
            Content-Type: text/html; charset=utf-8

            <p onmouseover="x()">Reply<script>alert(1)</script></p><div class="gmail_quote"><p>old</p></div>
            """);

        Assert.Equal("<p>Reply</p>", email.NewContentHtml);
    }

    [Fact]
    public void Cid_references_are_rewritten_to_portal_urls()
    {
        const string Html = """<p><img src="cid:image001.png@01DB"> <img src='CID:other%40x'> <img src=cid:unknown> <a href="cid:image001.png@01DB">x</a></p>""";

        var rewritten = HtmlCid.Rewrite(Html, id => id switch
        {
            "image001.png@01DB" => "/attachments/7?a=1&b=2",
            "other@x" => "/attachments/8",
            _ => null,
        });

        Assert.Equal("""<p><img src="/attachments/7?a=1&amp;b=2"> <img src="/attachments/8"> <img src="cid:unknown"> <a href="cid:image001.png@01DB">x</a></p>""", rewritten);
    }

    [Fact]
    public void Cid_rewrite_of_a_parsed_body_uses_the_attachment_content_ids()
    {
        var email = Load("inline-image-and-attachment.eml");
        var urls = email.Attachments.Where(a => a.IsInline).ToDictionary(a => a.ContentId!, a => "/files/" + a.FileName, StringComparer.OrdinalIgnoreCase);

        var html = HtmlCid.Rewrite(email.HtmlBody!, id => urls.GetValueOrDefault(id));

        Assert.Contains("src=\"/files/image001.png\"", html);
        Assert.DoesNotContain("cid:", html);
    }
}
