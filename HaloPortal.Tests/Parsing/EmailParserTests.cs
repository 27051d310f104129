using System.Text;
using HaloPortal.Engine.Parsing;
using static HaloPortal.Tests.Parsing.ParsingCorpus;

namespace HaloPortal.Tests.Parsing;

public sealed class EmailParserTests
{
    [Fact]
    public void Threading_headers_and_addresses_are_read_without_brackets_and_lower_cased()
    {
        var email = Load("outlook-web-reply.eml");

        Assert.Equal("DB9PR01MB1234.eurprd01.prod.outlook.com", email.MessageId);
        Assert.Equal("hp.prod-7f3a.0123456789abcdef0123456789abcdef@haloportal.mail", email.InReplyTo);
        Assert.Equal(["first@contoso.com", "hp.prod-7f3a.0123456789abcdef0123456789abcdef@haloportal.mail"], email.References);
        Assert.Equal(new EmailAddress("alexw@contoso.com", "Alex Wilber"), email.From);
        Assert.Equal([new EmailAddress("support@contoso.com", "HaloPortal Support")], email.To);
        Assert.Equal([new EmailAddress("megan@contoso.com", "Megan Bowen"), new EmailAddress("adele@contoso.com", null)], email.Cc);
        Assert.Null(email.ReplyTo);
        Assert.Equal("alexw@contoso.com", email.ReturnPath);
        Assert.Equal("RE: [Ticket #1234] Printer jammed", email.Subject);
        Assert.Equal(new DateTimeOffset(2025, 3, 3, 10, 15, 2, TimeSpan.Zero), email.Date);
        Assert.False(email.IsDeliveryStatusReport);
        Assert.Empty(email.ParseWarnings);
    }

    [Fact]
    public void Headers_are_case_insensitive_and_repeated_headers_are_joined()
    {
        var email = Parse("""
            From: a@example.com
            Received: from one
            Received: from two
            X-Custom: value
            Subject: hi

            body
            """);

        Assert.Equal("from one, from two", email.Headers["received"]);
        Assert.Equal("value", email.Headers["X-CUSTOM"]);
        Assert.False(email.Headers.ContainsKey("Return-Path"));
        Assert.Null(email.ReturnPath);
    }

    [Fact]
    public void Size_is_the_length_of_the_raw_message_even_from_a_non_seekable_stream()
    {
        var raw = Encoding.UTF8.GetBytes("From: a@example.com\nSubject: size\n\nHello\n");
        using var pipe = new NonSeekableStream(raw);

        var email = Parser.Parse(pipe);

        Assert.Equal(raw.Length, email.SizeBytes);
        Assert.Equal("size", email.Subject);
    }

    [Fact]
    public void Rfc2047_encoded_subject_and_names_are_decoded()
    {
        var email = Load("encoded-words-and-rfc2231.eml");

        Assert.Equal("Prüfung der Änderungen – Teil 2", email.Subject);
        Assert.Equal(new EmailAddress("francois@exemple.fr", "François Léger"), email.From);
        Assert.Equal("Иван Петров", Assert.Single(email.To).Name);
    }

    [Fact]
    public void Empty_return_path_is_an_empty_string()
    {
        Assert.Equal("", Load("delivery-status-report.eml").ReturnPath);
    }

    [Fact]
    public void Reply_to_and_missing_subject_and_date()
    {
        var email = Parse("""
            From: a@example.com
            Reply-To: "Team Inbox" <Team@Example.com>

            body
            """);

        Assert.Equal(new EmailAddress("team@example.com", "Team Inbox"), email.ReplyTo);
        Assert.Equal("", email.Subject);
        Assert.Null(email.Date);
        Assert.Null(email.MessageId);
        Assert.Empty(email.References);
    }

    [Fact]
    public void Iso_8859_1_quoted_printable_body_is_decoded()
    {
        var email = Parse("""
            From: a@example.com
            Content-Type: text/plain; charset=iso-8859-1
            Content-Transfer-Encoding: quoted-printable

            Gr=FC=DFe aus K=F6ln, sch=F6nes Wochenende!
            """);

        Assert.Equal("Grüße aus Köln, schönes Wochenende!", email.TextBody?.Trim());
    }

    [Fact]
    public void Windows_1252_8bit_body_is_decoded()
    {
        var email = Parse(
            "From: a@example.com\nContent-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: 8bit",
            Charset("windows-1252").GetBytes("Total: € 100 – “paid” in full"));

        Assert.Equal("Total: € 100 – “paid” in full", email.TextBody?.Trim());
    }

    [Fact]
    public void Koi8r_body_is_decoded()
    {
        var email = Parse(
            "From: a@example.com\nContent-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: 8bit",
            Charset("koi8-r").GetBytes("Принтер на третьем этаже не работает"));

        Assert.Equal("Принтер на третьем этаже не работает", email.TextBody?.Trim());
    }

    [Fact]
    public void Koi8r_base64_html_body_is_decoded()
    {
        var base64 = Convert.ToBase64String(Charset("koi8-r").GetBytes("<p>Здравствуйте!</p>"));
        var email = Parse($"From: a@example.com\nContent-Type: text/html; charset=KOI8-R\nContent-Transfer-Encoding: base64\n\n{base64}\n");

        Assert.Contains("Здравствуйте!", email.HtmlBody);
        Assert.Equal("Здравствуйте!", email.NewContentText);
    }

    [Fact]
    public void Utf8_8bit_quoted_printable_and_base64_bodies_are_decoded()
    {
        const string Text = "日本語のテキスト – naïve café";
        var eightBit = Parse("From: a@example.com\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit", Encoding.UTF8.GetBytes(Text));
        var base64 = Parse($"From: a@example.com\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n{Convert.ToBase64String(Encoding.UTF8.GetBytes(Text))}\n");
        var quoted = Parse("From: a@example.com\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nna=C3=AFve caf=C3=A9 =E2=80=93 soft=\n break\n");

        Assert.Equal(Text, eightBit.TextBody?.Trim());
        Assert.Equal(Text, base64.TextBody?.Trim());
        Assert.Equal("naïve café – soft break", quoted.TextBody?.Trim());
    }

    [Fact]
    public void Unknown_charset_name_still_gives_the_text()
    {
        var email = Parse("From: a@example.com\nContent-Type: text/plain; charset=no-such-charset\nContent-Transfer-Encoding: 8bit", Encoding.UTF8.GetBytes("Café au lait"));

        Assert.Equal("Café au lait", email.TextBody?.Trim());
    }

    [Fact]
    public void Text_only_mail_gets_html_encoded_new_content_with_line_breaks()
    {
        var email = Parse("""
            From: a@example.com
            Content-Type: text/plain; charset=utf-8

            Line one <b>not bold</b>
            Line two & more
            """);

        Assert.Null(email.HtmlBody);
        Assert.StartsWith("Line one &lt;b&gt;not bold&lt;/b&gt;<br>\nLine two &amp; more", email.NewContentHtml);
        Assert.Equal(email.TextBody, email.NewContentText);
    }

    [Fact]
    public void Garbage_does_not_throw()
    {
        var random = new Random(1234);
        var garbage = new byte[4096];
        random.NextBytes(garbage);

        var email = Parse(garbage);

        Assert.Equal(4096, email.SizeBytes);
        Assert.NotNull(email.Headers);
        Assert.NotNull(email.Attachments);
    }

    [Fact]
    public void Empty_input_does_not_throw()
    {
        var email = Parse([]);

        Assert.Equal(0, email.SizeBytes);
        Assert.Equal("", email.Subject);
        Assert.Null(email.From);
    }

    [Fact]
    public void Missing_headers_do_not_throw()
    {
        var email = Parse("\nJust a body, no headers at all.\n");

        Assert.Null(email.From);
        Assert.Null(email.MessageId);
        Assert.Contains("Just a body", email.TextBody);
    }

    [Fact]
    public void Broken_boundary_keeps_what_could_be_read()
    {
        var email = Load("broken-boundary.eml");

        Assert.Equal("broken-without-brackets@example.com", email.MessageId);
        Assert.Equal("Broken", email.Subject);
        Assert.Contains("The body survives a broken boundary", email.TextBody);
        Assert.NotEmpty(email.ParseWarnings);
    }

    [Fact]
    public void Truncated_base64_and_broken_addresses_do_not_throw()
    {
        var email = Parse("""
            From: <<<not an address
            To: ,,,@@@
            Message-ID: <unterminated@example.com
            Date: yesterday-ish
            Content-Type: multipart/mixed; boundary=x

            --x
            Content-Type: image/png; name=a.png
            Content-Transfer-Encoding: base64

            iVBORw0KG!!!
            --x
            """);

        Assert.Null(email.Date);
        Assert.Equal("a.png", Assert.Single(email.Attachments).FileName);
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }
}
