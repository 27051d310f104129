using HaloPortal.Engine.Parsing;
using HaloPortal.Engine.Tickets;

namespace HaloPortal.Tests.Security;

/// <summary>Remote images (tracking pixels) are not loaded until an agent chooses "Show images" on that message.</summary>
public sealed class RemoteImageTests
{
    [Fact]
    public void Remote_image_sources_are_parked_so_the_browser_fetches_nothing()
    {
        var html = EmailHtmlSanitizer.Sanitize(
            "<img src=\"https://tracker.example/open.gif?u=1\" alt=\"pixel\"><img src=\"http://cdn.example/banner.png\"><img src=\"//cdn.example/x.png\">");

        var images = InertHtml.Elements(html).Where(e => e.LocalName == "img").ToList();
        Assert.All(images, i => Assert.Null(i.GetAttribute("src")));
        Assert.Equal(["https://tracker.example/open.gif?u=1", "http://cdn.example/banner.png", "https://cdn.example/x.png"],
            images.Select(i => i.GetAttribute(EmailHtmlSanitizer.RemoteSourceAttribute)));
        Assert.True(MessageBodies.HasBlockedImages(html));
    }

    [Fact]
    public void Show_images_restores_only_http_and_https_sources_on_images()
    {
        var shown = MessageBodies.ForDisplay(
            "<img src=\"https://cdn.example/banner.png\"><img data-remote-src=\"javascript:alert(1)\"><p data-remote-src=\"https://x.example/\">p</p>");

        var restored = MessageBodies.WithRemoteImages(shown!);

        InertHtml.Assert(restored.Replace("https://cdn.example/banner.png", "/attachments/9", StringComparison.Ordinal));
        var images = InertHtml.Elements(restored).Where(e => e.LocalName == "img").ToList();
        Assert.Equal(["https://cdn.example/banner.png", null], images.Select(i => i.GetAttribute("src")));
        Assert.DoesNotContain("javascript", restored, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("x.example", restored, StringComparison.Ordinal);
        Assert.False(MessageBodies.HasBlockedImages(restored));
    }

    [Fact]
    public void Inline_and_base64_images_are_not_blocked()
    {
        var html = MessageBodies.ForDisplay($"<img src=\"/attachments/12\"><img src=\"cid:logo@x\"><img src=\"data:image/png;base64,{AttackMail.PngBase64}\">");

        Assert.Equal(3, InertHtml.Elements(html!).Count(e => e.LocalName == "img" && e.HasAttribute("src")));
        Assert.False(MessageBodies.HasBlockedImages(html));
    }

    [Fact]
    public void A_reply_sent_by_an_agent_keeps_its_remote_images_for_the_recipient()
    {
        var html = EmailHtmlSanitizer.SanitizeOutgoing("<p>Thanks</p><img src=\"https://contoso.example/signature.png\" onerror=\"alert(1)\">");

        Assert.Equal("<p>Thanks</p><img src=\"https://contoso.example/signature.png\">", html);
    }
}
