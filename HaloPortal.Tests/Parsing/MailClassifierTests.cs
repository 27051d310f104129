using HaloPortal.Engine.Parsing;
using static HaloPortal.Tests.Parsing.ParsingCorpus;

namespace HaloPortal.Tests.Parsing;

public sealed class MailClassifierTests
{
    private static readonly ClassificationContext Context = new("prod-7f3a", ["support@contoso.com", "Helpdesk@Contoso.com "]);

    private static MailVerdict Classify(string headers, string body = "Hello") =>
        MailClassifier.Classify(Parse(headers.TrimEnd('\n') + "\n\n" + body + "\n"), Context);

    [Fact]
    public void A_persons_reply_is_normal()
    {
        var verdict = MailClassifier.Classify(Load("outlook-web-reply.eml"), Context);

        Assert.Equal(new MailVerdict(MailKind.Normal, null), verdict);
    }

    [Fact]
    public void Own_message_id_is_own_mail()
    {
        var id = PortalMessageId.Create("prod-7f3a");

        var verdict = Classify($"From: support@contoso.com\nMessage-ID: {id}");

        Assert.Equal(MailKind.OwnMail, verdict.Kind);
        Assert.Equal($"Sent by this HaloPortal deployment (Message-ID {id})", verdict.Reason);
    }

    [Fact]
    public void Own_deployment_header_is_own_mail()
    {
        var verdict = Classify("From: someone@fabrikam.com\nMessage-ID: <relay-1@fabrikam.com>\nX-HaloPortal-Deployment: PROD-7F3A");

        Assert.Equal(MailKind.OwnMail, verdict.Kind);
        Assert.Contains("X-HaloPortal-Deployment", verdict.Reason);
    }

    [Fact]
    public void Other_deployment_message_id_is_other_instance_mail()
    {
        var verdict = Classify($"From: uat@contoso.com\nMessage-ID: {PortalMessageId.Create("uat-01")}");

        Assert.Equal(MailKind.OtherInstanceMail, verdict.Kind);
        Assert.StartsWith("Sent by another HaloPortal deployment 'uat-01'", verdict.Reason);
    }

    [Fact]
    public void A_reply_to_our_message_is_not_own_mail()
    {
        var id = PortalMessageId.Create("prod-7f3a");

        var verdict = Classify($"From: customer@fabrikam.com\nMessage-ID: <reply@fabrikam.com>\nIn-Reply-To: {id}\nReferences: {id}");

        Assert.Equal(MailKind.Normal, verdict.Kind);
    }

    [Fact]
    public void Mail_from_the_connected_mailbox_is_ignored()
    {
        var verdict = Classify("From: HELPDESK@contoso.com\nMessage-ID: <sent-item@contoso.com>");

        Assert.Equal(MailKind.FromConnectedMailbox, verdict.Kind);
        Assert.Equal("Sent from the connected mailbox helpdesk@contoso.com itself (Sent Items copy or a mail loop)", verdict.Reason);
    }

    [Fact]
    public void Delivery_status_report_is_a_bounce_with_the_original_message_id()
    {
        var email = Load("delivery-status-report.eml");

        var verdict = MailClassifier.Classify(email, Context);

        Assert.True(email.IsDeliveryStatusReport);
        Assert.Equal("hp.prod-7f3a.fedcba9876543210fedcba9876543210@haloportal.mail", email.BouncedMessageId);
        Assert.Equal(MailKind.Bounce, verdict.Kind);
        Assert.Equal("Bounce (delivery status report for <hp.prod-7f3a.fedcba9876543210fedcba9876543210@haloportal.mail>)", verdict.Reason);
        Assert.Contains(email.Attachments, a => a.FileName == "[Ticket #1300] We received your request.eml");
    }

    [Fact]
    public void Delivery_status_report_with_returned_headers_only_gives_the_original_message_id()
    {
        var email = Load("delivery-status-headers-only.eml");

        Assert.True(email.IsDeliveryStatusReport);
        Assert.Equal("hp.prod-7f3a.11111111111111111111111111111111@haloportal.mail", email.BouncedMessageId);
        Assert.Equal(MailKind.Bounce, MailClassifier.Classify(email, Context).Kind);
    }

    [Fact]
    public void Mailer_daemon_with_empty_return_path_is_a_bounce()
    {
        var verdict = Classify("Return-Path: <>\nFrom: MAILER-DAEMON@mx.example.com\nSubject: failure notice", "Sorry, I couldn't deliver it.");

        Assert.Equal(new MailVerdict(MailKind.Bounce, "Bounce (from mailer-daemon@mx.example.com with Return-Path: <>)"), verdict);
    }

    [Fact]
    public void Postmaster_with_a_real_return_path_is_a_person()
    {
        Assert.Equal(MailKind.Normal, Classify("Return-Path: <postmaster@fabrikam.com>\nFrom: postmaster@fabrikam.com\nSubject: Can you whitelist us?").Kind);
    }

    [Fact]
    public void Read_receipt_report_is_not_a_ticket()
    {
        var verdict = Classify("From: a@fabrikam.com\nContent-Type: multipart/report; report-type=disposition-notification; boundary=x", "--x\nContent-Type: text/plain\n\nRead.\n--x--");

        Assert.Equal(MailKind.Bounce, verdict.Kind);
        Assert.Contains("disposition-notification", verdict.Reason);
    }

    [Fact]
    public void Auto_submitted_mail_is_an_auto_reply()
    {
        Assert.Equal(new MailVerdict(MailKind.AutoReply, "Auto-reply (Auto-Submitted: auto-replied)"), Classify("From: a@fabrikam.com\nAuto-Submitted: auto-replied"));
        Assert.Equal(new MailVerdict(MailKind.AutoReply, "Auto-reply (Auto-Submitted: auto-generated)"), Classify("From: a@fabrikam.com\nAuto-Submitted: auto-generated"));
        Assert.Equal(MailKind.Normal, Classify("From: a@fabrikam.com\nAuto-Submitted: no").Kind);
    }

    [Fact]
    public void Exchange_out_of_office_is_an_auto_reply()
    {
        var verdict = MailClassifier.Classify(Load("exchange-out-of-office.eml"), Context);

        Assert.Equal(new MailVerdict(MailKind.AutoReply, "Auto-reply (Auto-Submitted: auto-replied)"), verdict);
    }

    [Theory]
    [InlineData("X-Auto-Response-Suppress: All", "Auto-reply (X-Auto-Response-Suppress: All)")]
    [InlineData("X-Auto-Response-Suppress: DR, OOF, AutoReply", "Auto-reply (X-Auto-Response-Suppress: DR, OOF, AutoReply)")]
    [InlineData("Precedence: bulk", "Auto-reply (Precedence: bulk)")]
    [InlineData("Precedence: junk", "Auto-reply (Precedence: junk)")]
    [InlineData("Precedence: list", "Auto-reply (Precedence: list)")]
    [InlineData("Precedence: auto_reply", "Auto-reply (Precedence: auto_reply)")]
    [InlineData("X-Autoreply: yes", "Auto-reply (X-Autoreply: yes)")]
    [InlineData("X-Autorespond: Vacation", "Auto-reply (X-Autorespond: Vacation)")]
    [InlineData("X-Auto-Reply-From: a@fabrikam.com", "Auto-reply (X-Auto-Reply-From: a@fabrikam.com)")]
    [InlineData("X-Mail-Autoreply: yes", "Auto-reply (X-Mail-Autoreply: yes)")]
    [InlineData("X-MS-Exchange-Inbox-Rules-Loop: a@fabrikam.com", "Forwarded by an Exchange inbox rule (X-MS-Exchange-Inbox-Rules-Loop: a@fabrikam.com)")]
    public void Auto_reply_headers_are_recognised(string header, string reason)
    {
        Assert.Equal(new MailVerdict(MailKind.AutoReply, reason), Classify($"From: a@fabrikam.com\n{header}"));
    }

    [Fact]
    public void Read_receipt_suppression_alone_is_not_an_auto_reply()
    {
        Assert.Equal(MailKind.Normal, Classify("From: a@fabrikam.com\nX-Auto-Response-Suppress: RN, NRN").Kind);
    }

    [Fact]
    public void Auto_reply_subject_alone_is_not_enough()
    {
        Assert.Equal(MailKind.Normal, Classify("From: a@fabrikam.com\nSubject: Out of office next week - please cover my tickets").Kind);
        Assert.Equal(MailKind.Normal, Classify("From: a@fabrikam.com\nSubject: Auto insurance question").Kind);
    }

    [Fact]
    public void Auto_reply_subject_with_empty_return_path_or_answering_our_mail_is_an_auto_reply()
    {
        var withNullSender = Classify("Return-Path: <>\nFrom: a@fabrikam.com\nSubject: Automatic reply: Printer");
        var answeringUs = Classify($"From: a@fabrikam.com\nSubject: Auto: [Ticket #5] Printer\nIn-Reply-To: {PortalMessageId.Create("prod-7f3a")}");

        Assert.Equal(new MailVerdict(MailKind.AutoReply, "Auto-reply (subject \"Automatic reply: Printer\" with Return-Path: <>)"), withNullSender);
        Assert.Equal(new MailVerdict(MailKind.AutoReply, "Auto-reply (subject \"Auto: [Ticket #5] Printer\" in answer to a HaloPortal message)"), answeringUs);
    }

    [Fact]
    public void Own_mail_wins_over_everything_else()
    {
        var verdict = Classify($"From: support@contoso.com\nMessage-ID: {PortalMessageId.Create("prod-7f3a")}\nAuto-Submitted: auto-generated");

        Assert.Equal(MailKind.OwnMail, verdict.Kind);
    }

    [Fact]
    public void Other_deployment_header_is_other_instance_mail()
    {
        var verdict = Classify("From: a@contoso.com\nMessage-ID: <x@contoso.com>\nX-HaloPortal-Deployment: uat-01");

        Assert.Equal(new MailVerdict(MailKind.OtherInstanceMail, "Sent by another HaloPortal deployment 'uat-01' (X-HaloPortal-Deployment: uat-01)"), verdict);
    }

    [Fact]
    public void Mailer_daemon_without_return_path_as_read_through_graph_is_a_bounce()
    {
        var verdict = Classify("From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nSubject: Delivery Status Notification (Failure)");

        Assert.Equal(new MailVerdict(MailKind.Bounce, "Bounce (from mailer-daemon@googlemail.com with no Return-Path)"), verdict);
    }
}
