using System.Text;
using MimeKit;
using MimeKit.Tnef;
using static HaloPortal.Tests.Parsing.ParsingCorpus;

namespace HaloPortal.Tests.Parsing;

public sealed class AttachmentTests
{
    [Fact]
    public void Inline_image_referenced_from_html_is_inline_and_other_files_are_attachments()
    {
        var email = Load("inline-image-and-attachment.eml");

        Assert.Equal(3, email.Attachments.Count);
        var image = email.Attachments[0];
        Assert.Equal("image001.png", image.FileName);
        Assert.Equal("image/png", image.ContentType);
        Assert.Equal("image001.png@01DB9256.12345670", image.ContentId);
        Assert.True(image.IsInline);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], image.Content[..4]);

        var unreferenced = email.Attachments[1];
        Assert.Equal("signature-logo@contoso.com", unreferenced.ContentId);
        Assert.False(unreferenced.IsInline);
        Assert.Equal("image2.gif", unreferenced.FileName);

        var pdf = email.Attachments[2];
        Assert.Equal(("invoice-2025-03.pdf", "application/pdf", null, false), (pdf.FileName, pdf.ContentType, pdf.ContentId, pdf.IsInline));
        Assert.StartsWith("%PDF-1.4", Encoding.ASCII.GetString(pdf.Content));
        Assert.Contains("src=\"cid:image001.png@01DB9256.12345670\"", email.HtmlBody);
    }

    [Fact]
    public void Rfc2231_filename_is_decoded()
    {
        var email = Load("encoded-words-and-rfc2231.eml");

        Assert.Equal(
            ["Prüfbericht Änderungen.xlsx", "résumé de la réunion du mardi.txt", "отчёт.docx"],
            email.Attachments.Select(a => a.FileName));
        Assert.Equal("Voir les pièces jointes.", email.NewContentText?.Trim());
        Assert.Equal("compte rendu", Encoding.UTF8.GetString(email.Attachments[1].Content).Trim());
    }

    [Fact]
    public void Attached_message_is_kept_as_an_eml_file()
    {
        var email = Load("forwarded-as-attachment.eml");

        var attached = Assert.Single(email.Attachments);
        Assert.Equal("Your password expires today.eml", attached.FileName);
        Assert.Equal("message/rfc822", attached.ContentType);
        var nested = Parse(attached.Content);
        Assert.Equal("phish-1@phish.example", nested.MessageId);
        Assert.Contains("Click here", nested.TextBody);
        Assert.Equal("Is this phishing? The original is attached.", email.NewContentText?.Trim());
    }

    [Fact]
    public void Winmail_dat_is_unpacked_into_its_attachments()
    {
        var report = Encoding.ASCII.GetBytes("quarterly numbers");
        var photo = new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3 };
        var message = OutlookMessage("See the two files.", new TnefPart
        {
            Content = new MimeContent(new MemoryStream(TnefBuilder.Build("RTF-less body", ("report.txt", report), ("photo.jpg", photo)))),
            ContentTransferEncoding = ContentEncoding.Base64,
        });

        var email = Parse(message);

        Assert.Equal(["report.txt", "photo.jpg"], email.Attachments.Select(a => a.FileName));
        Assert.Equal(report, email.Attachments[0].Content);
        Assert.Equal(photo, email.Attachments[1].Content);
        Assert.DoesNotContain(email.Attachments, a => a.FileName.Equals("winmail.dat", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("See the two files.", email.TextBody?.Trim());
        Assert.Empty(email.ParseWarnings);
    }

    [Fact]
    public void Winmail_dat_body_is_used_when_the_message_has_no_other_body()
    {
        var message = new MimeMessage { Subject = "TNEF only" };
        message.From.Add(new MailboxAddress("Outlook User", "user@contoso.com"));
        message.Body = new TnefPart
        {
            Content = new MimeContent(new MemoryStream(TnefBuilder.Build("Body carried inside winmail.dat", ("notes.txt", Encoding.ASCII.GetBytes("n"))))),
            ContentTransferEncoding = ContentEncoding.Base64,
        };

        var email = Parse(message);

        Assert.Equal("Body carried inside winmail.dat", email.TextBody?.Trim());
        Assert.Contains("Body carried inside winmail.dat", email.NewContentHtml);
        Assert.Equal("notes.txt", Assert.Single(email.Attachments).FileName);
    }

    [Fact]
    public void Corrupt_winmail_dat_is_kept_as_it_is_with_a_warning()
    {
        var message = OutlookMessage("Body", new TnefPart
        {
            Content = new MimeContent(new MemoryStream(Encoding.ASCII.GetBytes("this is not TNEF at all"))),
            ContentTransferEncoding = ContentEncoding.Base64,
        });

        var email = Parse(message);

        Assert.Equal("winmail.dat", Assert.Single(email.Attachments).FileName);
        Assert.Contains(email.ParseWarnings, w => w.Contains("winmail.dat", StringComparison.Ordinal));
    }

    private static MimeMessage OutlookMessage(string text, MimeEntity tnef)
    {
        var message = new MimeMessage { Subject = "From Outlook" };
        message.From.Add(new MailboxAddress("Outlook User", "user@contoso.com"));
        message.To.Add(new MailboxAddress("Support", "support@contoso.com"));
        message.Body = new Multipart("mixed") { new TextPart("plain") { Text = text }, tnef };
        return message;
    }
}
