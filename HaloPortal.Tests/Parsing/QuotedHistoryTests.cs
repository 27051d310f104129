using static HaloPortal.Tests.Parsing.ParsingCorpus;

namespace HaloPortal.Tests.Parsing;

public sealed class QuotedHistoryTests
{
    [Fact]
    public void Outlook_reply_keeps_only_the_new_text()
    {
        var email = Load("outlook-web-reply.eml");

        Assert.Contains("still jammed after your fix", email.NewContentHtml);
        Assert.DoesNotContain("cleared the printer jam", email.NewContentHtml);
        Assert.DoesNotContain("From:", email.NewContentHtml);
        Assert.DoesNotContain("<hr", email.NewContentHtml);
        Assert.Equal("The printer on floor 3 is still jammed after your fix.", email.NewContentText);
        Assert.Contains("cleared the printer jam", email.HtmlBody);
        Assert.Contains("cleared the printer jam", email.TextBody);
    }

    [Fact]
    public void Outlook_desktop_reply_is_cut_at_the_from_sent_block_and_original_message_line()
    {
        var email = Load("outlook-desktop-reply.eml");

        Assert.Contains("It dropped again at 07:55", email.NewContentHtml);
        Assert.DoesNotContain("Could you tell us", email.NewContentHtml);
        Assert.DoesNotContain("Sent:", email.NewContentHtml);
        Assert.Equal("It dropped again at 07:55, screenshot attached next time.", email.NewContentText);
    }

    [Fact]
    public void Gmail_reply_keeps_only_the_new_text()
    {
        var email = Load("gmail-reply.eml");

        Assert.Contains("the new password works", email.NewContentHtml);
        Assert.DoesNotContain("has been reset", email.NewContentHtml);
        Assert.DoesNotContain("wrote:", email.NewContentHtml);
        Assert.Equal("Thanks, the new password works.", email.NewContentText);
    }

    [Fact]
    public void Apple_mail_reply_drops_the_cited_blockquote()
    {
        var email = Load("apple-mail-reply.eml");

        Assert.Contains("Leeds office", email.NewContentHtml);
        Assert.DoesNotContain("ships tomorrow", email.NewContentHtml);
        Assert.DoesNotContain("wrote:", email.NewContentHtml);
        Assert.Equal("Please ship it to the Leeds office instead.", email.NewContentText);
    }

    [Fact]
    public void Thunderbird_reply_drops_the_cite_prefix_and_the_quote()
    {
        var email = Load("thunderbird-reply.eml");

        Assert.Contains("Quota is fine now", email.NewContentHtml);
        Assert.DoesNotContain("100 GB", email.NewContentHtml);
        Assert.DoesNotContain("wrote:", email.NewContentHtml);
        Assert.Equal("Quota is fine now, thank you.", email.NewContentText);
    }

    [Fact]
    public void German_outlook_reply_is_cut_at_von_gesendet()
    {
        var email = Load("german-outlook-reply.eml");

        Assert.Equal("Der Drucker im 2. Stock druckt wieder nicht.\n\nViele Grüße\nJürgen", email.NewContentText);
        Assert.DoesNotContain("repariert", email.NewContentHtml);
        Assert.Contains("Viele Grüße<br>", email.NewContentHtml);
    }

    [Fact]
    public void German_am_schrieb_attribution_and_quoted_lines_are_cut()
    {
        var email = Load("german-am-schrieb.eml");

        Assert.Equal("Danke, jetzt funktioniert der Zugriff.", email.NewContentText);
    }

    [Fact]
    public void Plain_text_quote_after_a_wrapped_on_wrote_line_is_cut()
    {
        var email = Parse("""
            From: a@example.com
            Content-Type: text/plain; charset=utf-8

            Works for me now.

            On Tue, 4 Mar 2025 at 16:02, Support <support@contoso.com>
            wrote:

            > Try again please.
            """);

        Assert.Equal("Works for me now.", email.NewContentText);
        Assert.Equal("Works for me now.", email.NewContentHtml);
    }

    [Fact]
    public void Trailing_quoted_lines_without_attribution_are_cut_but_inline_answers_are_kept()
    {
        var trailing = Parse("""
            From: a@example.com

            New answer.
            > old text
            > more old text
            """);
        var inline = Parse("""
            From: a@example.com

            > Which printer?
            The one on floor 3.
            """);

        Assert.Equal("New answer.", trailing.NewContentText);
        Assert.Equal(inline.TextBody, inline.NewContentText);
    }

    [Fact]
    public void Html_original_message_separator_is_cut()
    {
        var email = Parse("""
            From: a@example.com
            Content-Type: text/html; charset=utf-8

            <div>Here is the update.</div><div>-----Original Message-----</div><div>From: Support</div><div>Old stuff</div>
            """);

        Assert.Contains("Here is the update.", email.NewContentHtml);
        Assert.DoesNotContain("Old stuff", email.NewContentHtml);
        Assert.Equal("Here is the update.", email.NewContentText);
    }

    [Fact]
    public void Html_rule_followed_by_a_german_header_block_is_cut()
    {
        var email = Parse("""
            From: a@example.com
            Content-Type: text/html; charset=utf-8

            <p>Neue Nachricht.</p><hr><b>Von:</b> Support<br><b>Gesendet:</b> Freitag<br><b>Betreff:</b> Alt<p>Alte Nachricht.</p>
            """);

        Assert.Contains("Neue Nachricht.", email.NewContentHtml);
        Assert.DoesNotContain("Alte Nachricht.", email.NewContentHtml);
    }

    [Fact]
    public void A_forward_without_a_note_is_never_trimmed_to_empty()
    {
        var html = Parse("""
            From: a@example.com
            Content-Type: text/html; charset=utf-8

            <div id="divRplyFwdMsg"><b>From:</b> x<br><b>Sent:</b> y</div><p>The whole original.</p>
            """);
        var text = Parse("""
            From: a@example.com

            -----Original Message-----
            From: x
            Sent: y

            The whole original.
            """);

        Assert.Contains("The whole original.", html.NewContentHtml);
        Assert.Equal(html.HtmlBody, html.NewContentHtml);
        Assert.Equal(text.TextBody, text.NewContentText);
    }

    [Fact]
    public void Mail_without_quotes_keeps_everything()
    {
        var email = Parse("""
            From: a@example.com
            Content-Type: text/html; charset=utf-8

            <p>From: the accounting team we need a new laptop.</p><blockquote>A quote I typed myself</blockquote>
            """);

        Assert.Equal(email.HtmlBody, email.NewContentHtml);
        Assert.Contains("A quote I typed myself", email.NewContentText);
    }
}
