using System.Text;
using HaloPortal.Tests.Parsing;
using MimeKit;

namespace HaloPortal.Tests.Ingestion.Corpus;

/// <summary>
/// Builds the hostile corpus: hand-written raw messages (byte-level damage, odd charsets, broken framing) and MimeKit-built
/// ones (structure), each with its expected outcome. <paramref name="run"/> makes every Message-ID unique to one pass, so the
/// same corpus can go through a scan and then through webhooks in one portal; <paramref name="seedTicket"/> is a ticket opened
/// by <see cref="SeedSender"/> before the corpus, for the subject-tag cases.
/// </summary>
internal sealed partial class CorpusBuilder(string run, string support, int seedTicket)
{
    public const string SeedSender = "seed@customer.example";

    private readonly List<CorpusCase> _cases = [];

    public IReadOnlyList<CorpusCase> Build()
    {
        Baseline();
        MessageIds();
        Framing();
        MissingHeaders();
        Charsets();
        Encodings();
        Structure();
        Bounces();
        AutoReplies();
        Threading();
        return _cases;
    }

    /// <summary>A Message-ID unique to this pass.</summary>
    private string Id(string name) => $"{name}.{run}@corpus.example";

    private static string Date => "Date: Tue, 01 Dec 2026 09:30:00 +0000";

    /// <summary>A plain message with the usual headers (CRLF), for cases whose point is elsewhere.</summary>
    private string Plain(string name, string from, string subject, string body, string? extra = null, string? id = null) =>
        $"From: {from}\r\nTo: {support}\r\nSubject: {subject}\r\n{Date}\r\nMessage-ID: <{id ?? Id(name)}>\r\n" +
        (extra is null ? "" : extra.TrimEnd('\r', '\n') + "\r\n") +
        $"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n";

    private CorpusCase Add(string category, string name, byte[] mime, Expected outcome, Func<CorpusCase, CorpusCase>? with = null)
    {
        var item = new CorpusCase(category, name, mime, outcome);
        item = with?.Invoke(item) ?? item;
        _cases.Add(item);
        return item;
    }

    private void Ticket(string category, string name, string raw, string requester, string subject, string excerpt, params string[] attachments) =>
        Add(category, name, CorpusCase.Bytes(raw), Expected.Ticket, c => c with { Requester = requester, Subject = subject, Excerpt = excerpt, Attachments = attachments });

    private void TicketBytes(string category, string name, byte[] raw, string requester, string subject, string? excerpt, string[]? attachments = null) =>
        Add(category, name, raw, Expected.Ticket, c => c with { Requester = requester, Subject = subject, Excerpt = excerpt, Attachments = attachments });

    private void Ignored(string category, string name, string raw, string reason) =>
        Add(category, name, CorpusCase.Bytes(raw), Expected.Ignored, c => c with { Reason = reason });

    private static byte[] Bytes(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(FormatOptions.Default, stream);
        return stream.ToArray();
    }

    private MimeMessage Message(string name, string from, string subject)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(support));
        message.Subject = subject;
        message.Date = new DateTimeOffset(2026, 12, 1, 9, 30, 0, TimeSpan.Zero);
        message.MessageId = Id(name);
        return message;
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] Encode(string charset, string text) => Encoding.GetEncoding(charset).GetBytes(text);

    private void Baseline()
    {
        const string c = "baseline";
        for (var i = 1; i <= 10; i++)
        {
            Ticket(c, $"plain-{i}", Plain($"plain-{i}", $"\"Customer {i}\" <customer{i}@customer.example>", $"Baseline request {i}", $"Baseline body number {i}."),
                $"customer{i}@customer.example", $"Baseline request {i}", $"Baseline body number {i}.");
        }
    }

    private void MessageIds()
    {
        const string c = "message-id";
        for (var i = 1; i <= 4; i++)
        {
            Add(c, $"twice-{i}", CorpusCase.Bytes(Plain($"twice-{i}", $"twin{i}@customer.example", $"Delivered twice {i}", $"Two copies {i}.")), Expected.Ticket,
                x => x with { Copies = 2, Requester = $"twin{i}@customer.example", Subject = $"Delivered twice {i}", Excerpt = $"Two copies {i}.", Attachments = [] });
        }

        Add(c, "thrice", CorpusCase.Bytes(Plain("thrice", "triple@customer.example", "Delivered three times", "Three copies.")), Expected.Ticket,
            x => x with { Copies = 3, Requester = "triple@customer.example", Subject = "Delivered three times", Excerpt = "Three copies.", Attachments = [] });
        for (var i = 1; i <= 6; i++)
        {
            // No Message-ID at all (the first two identical): each is its own email, as Exchange gives each its own id.
            var subject = i <= 2 ? "No Message-ID, same bytes" : $"No Message-ID {i}";
            Ticket(c, $"none-{i}", $"From: noid{Math.Max(i, 2)}@customer.example\r\nTo: {support}\r\nSubject: {subject}\r\n{Date}\r\n\r\nNo id {Math.Max(i, 2)}.\r\n",
                $"noid{Math.Max(i, 2)}@customer.example", subject, $"No id {Math.Max(i, 2)}.");
        }

        Ticket(c, "empty-id", $"From: emptyid@customer.example\r\nTo: {support}\r\nSubject: Empty Message-ID header\r\nMessage-ID:\r\n\r\nEmpty id.\r\n",
            "emptyid@customer.example", "Empty Message-ID header", "Empty id.");
        Ticket(c, "no-brackets", $"From: nobrackets@customer.example\r\nTo: {support}\r\nSubject: Message-ID without brackets\r\nMessage-ID: {Id("no-brackets")}\r\n\r\nBare id.\r\n",
            "nobrackets@customer.example", "Message-ID without brackets", "Bare id.");
        Ticket(c, "two-ids", $"From: twoids@customer.example\r\nTo: {support}\r\nSubject: Two Message-ID headers\r\nMessage-ID: <{Id("two-ids")}>\r\nMessage-ID: <{Id("two-ids-b")}>\r\n\r\nTwo ids.\r\n",
            "twoids@customer.example", "Two Message-ID headers", "Two ids.");
        Ticket(c, "garbage-id", $"From: garbageid@customer.example\r\nTo: {support}\r\nSubject: Garbage Message-ID\r\nMessage-ID: <<<{run} not an id at all>>>\r\n\r\nGarbage id.\r\n",
            "garbageid@customer.example", "Garbage Message-ID", "Garbage id.");
        Ticket(c, "long-id", $"From: longid@customer.example\r\nTo: {support}\r\nSubject: Very long Message-ID\r\nMessage-ID: <{new string('x', 900)}.{Id("long-id")}>\r\n\r\nLong id.\r\n",
            "longid@customer.example", "Very long Message-ID", "Long id.");
    }

    private void Framing()
    {
        const string c = "framing";
        Ticket(c, "lf-only", Plain("lf-only", "lf@customer.example", "LF only line endings", "Line one.\r\nLine two.").Replace("\r\n", "\n", StringComparison.Ordinal),
            "lf@customer.example", "LF only line endings", "Line two.");
        var mixed = $"From: mixed@customer.example\nTo: {support}\r\nSubject: Mixed line endings\r\n{Date}\nMessage-ID: <{Id("mixed")}>\r\n\nFirst\r\nsecond\nthird\r\n";
        Ticket(c, "mixed", mixed, "mixed@customer.example", "Mixed line endings", "third");
        Ticket(c, "mbox-from", $"From mbox@customer.example Tue Dec  1 09:30:00 2026\r\n" + Plain("mbox-from", "mbox@customer.example", "Starts with an mbox From line", "Mbox body."),
            "mbox@customer.example", "Starts with an mbox From line", "Mbox body.");
        Ticket(c, "mbox-from-lf", ($"From mboxlf@customer.example Tue Dec  1 09:30:00 2026\r\n" + Plain("mbox-from-lf", "mboxlf@customer.example", "Mbox From line and LF", ">From the start of a line.")).Replace("\r\n", "\n", StringComparison.Ordinal),
            "mboxlf@customer.example", "Mbox From line and LF", "From the start of a line.");
        Ticket(c, "no-final-newline", Plain("no-final-newline", "nofinal@customer.example", "No final newline", "Ends abruptly").TrimEnd(),
            "nofinal@customer.example", "No final newline", "Ends abruptly");
        Ticket(c, "long-line", Plain("long-line", "longline@customer.example", "A 200,000 character line", "Start " + new string('w', 200_000) + " end of line"),
            "longline@customer.example", "A 200,000 character line", "Start www");
        var longSubject = "Very long subject " + string.Join(' ', Enumerable.Repeat("word", 400));
        Ticket(c, "long-subject", Plain("long-subject", "longsubject@customer.example", longSubject, "Long subject body."),
            "longsubject@customer.example", longSubject[..1000], "Long subject body.");
        var folded = string.Join("\r\n", Enumerable.Range(0, 2000).Select(i => $"X-Trace-{i}: hop {i} " + new string('h', 40)));
        Ticket(c, "many-headers", Plain("many-headers", "headers@customer.example", "Two thousand headers", "Many headers body.", extra: folded),
            "headers@customer.example", "Two thousand headers", "Many headers body.");
        var longReferences = "References: " + string.Join("\r\n ", Enumerable.Range(0, 3000).Select(i => $"<ref{i}.{run}@elsewhere.example>"));
        Ticket(c, "long-references", Plain("long-references", "refs@customer.example", "Three thousand references", "Refs body.", extra: longReferences),
            "refs@customer.example", "Three thousand references", "Refs body.");
        Ticket(c, "header-no-space", $"From:nospace@customer.example\r\nTo:{support}\r\nSubject:No space after colons\r\nMessage-ID:<{Id("header-no-space")}>\r\n\r\nTight headers.\r\n",
            "nospace@customer.example", "No space after colons", "Tight headers.");
        Ticket(c, "bare-cr", $"From: barecr@customer.example\r\nTo: {support}\r\nSubject: Bare CR inside\r\nMessage-ID: <{Id("bare-cr")}>\r\n\r\nOne\rtwo\rthree words.\r\n",
            "barecr@customer.example", "Bare CR inside", "three words.");
        Ticket(c, "nul-bytes", $"From: nul@customer.example\r\nTo: {support}\r\nSubject: NUL bytes in body\r\nMessage-ID: <{Id("nul-bytes")}>\r\n\r\nBefore\0after nul.\r\n",
            "nul@customer.example", "NUL bytes in body", "after nul.");
        Ticket(c, "space-before-colon", $"From : spacecolon@customer.example\r\nTo: {support}\r\nSubject : Space before colon\r\nMessage-ID: <{Id("space-before-colon")}>\r\n\r\nSpacey.\r\n",
            "spacecolon@customer.example", "Space before colon", "Spacey.");
    }

    private void MissingHeaders()
    {
        const string c = "missing-headers";
        Ticket(c, "no-to", $"From: noto@customer.example\r\nSubject: No To header\r\nMessage-ID: <{Id("no-to")}>\r\n\r\nNo To.\r\n", "noto@customer.example", "No To header", "No To.");
        Ticket(c, "no-from", $"To: {support}\r\nSubject: No From header\r\nMessage-ID: <{Id("no-from")}>\r\n\r\nNobody sent this.\r\n", "unknown@invalid", "No From header", "Nobody sent this.");
        Ticket(c, "unparsable-from", $"From: this is not an address\r\nTo: {support}\r\nSubject: Unparsable From\r\nMessage-ID: <{Id("unparsable-from")}>\r\n\r\nBad from.\r\n", "unknown@invalid", "Unparsable From", "Bad from.");
        Ticket(c, "no-date", $"From: nodate@customer.example\r\nTo: {support}\r\nSubject: No Date\r\nMessage-ID: <{Id("no-date")}>\r\n\r\nUndated.\r\n", "nodate@customer.example", "No Date", "Undated.");
        Ticket(c, "bad-date", $"From: baddate@customer.example\r\nTo: {support}\r\nSubject: Bad Date\r\nDate: the day after tomorrow\r\nMessage-ID: <{Id("bad-date")}>\r\n\r\nBad date.\r\n", "baddate@customer.example", "Bad Date", "Bad date.");
        Ticket(c, "no-subject", $"From: nosubject@customer.example\r\nTo: {support}\r\nMessage-ID: <{Id("no-subject")}>\r\n\r\nNo subject at all.\r\n", "nosubject@customer.example", "(no subject)", "No subject at all.");
        Ticket(c, "no-content-type", $"From: noct@customer.example\r\nTo: {support}\r\nSubject: No Content-Type\r\nMIME-Version: 1.0\r\nMessage-ID: <{Id("no-content-type")}>\r\n\r\nDefault text.\r\n", "noct@customer.example", "No Content-Type", "Default text.");
        Ticket(c, "no-cte-8bit", $"From: nocte@customer.example\r\nTo: {support}\r\nSubject: No Content-Transfer-Encoding\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nMessage-ID: <{Id("no-cte-8bit")}>\r\n\r\nÜmlaut ünd 8bit.\r\n", "nocte@customer.example", "No Content-Transfer-Encoding", "Ümlaut ünd 8bit.");
        TicketBytes(c, "empty-body", CorpusCase.Bytes($"From: emptybody@customer.example\r\nTo: {support}\r\nSubject: Empty body\r\nMessage-ID: <{Id("empty-body")}>\r\n\r\n"), "emptybody@customer.example", "Empty body", null, []);
        TicketBytes(c, "headers-only", CorpusCase.Bytes($"From: headersonly@customer.example\r\nTo: {support}\r\nSubject: Headers only\r\nMessage-ID: <{Id("headers-only")}>\r\n"), "headersonly@customer.example", "Headers only", null, []);
        TicketBytes(c, "empty-multipart", CorpusCase.Bytes($"From: emptymp@customer.example\r\nTo: {support}\r\nSubject: Empty multipart\r\nMessage-ID: <{Id("empty-multipart")}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b--\r\n"), "emptymp@customer.example", "Empty multipart", null, []);
        Ticket(c, "no-boundary", $"From: noboundary@customer.example\r\nTo: {support}\r\nSubject: Multipart without boundary\r\nMessage-ID: <{Id("no-boundary")}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\nJust text really.\r\n", "noboundary@customer.example", "Multipart without boundary", "Just text really.");
        Ticket(c, "unterminated-multipart", $"From: unterminated@customer.example\r\nTo: {support}\r\nSubject: Unterminated multipart\r\nMessage-ID: <{Id("unterminated-multipart")}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nCut off mid way.\r\n", "unterminated@customer.example", "Unterminated multipart", "Cut off mid way.");
        Ticket(c, "garbage", $"From: garbage@customer.example\r\nTo: {support}\r\nSubject: Binary garbage body\r\nMessage-ID: <{Id("garbage")}>\r\n\r\n" + string.Concat(Enumerable.Range(0, 2000).Select(i => (char)(i * 7 % 250 + 1))) + "\r\nTrailing words.\r\n", "garbage@customer.example", "Binary garbage body", "Trailing words.");
    }

    private void Charsets()
    {
        const string c = "charsets";
        void Charset(string name, string charset, string subject, string body, string cte = "8bit")
        {
            var head = $"From: {name}@customer.example\r\nTo: {support}\r\nSubject: =?{charset}?B?{Convert.ToBase64String(Encode(charset, subject))}?=\r\nMessage-ID: <{Id(name)}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n";
            var payload = cte == "base64" ? CorpusCase.Bytes(Convert.ToBase64String(Encode(charset, body)) + "\r\n") : Concat(Encode(charset, body), "\r\n"u8.ToArray());
            TicketBytes(c, name, Concat(CorpusCase.Bytes(head), payload), $"{name}@customer.example", subject, body);
        }

        Charset("iso2022jp", "iso-2022-jp", "プリンターが壊れました", "印刷できません。助けてください。", "7bit");
        Charset("iso2022jp-b64", "iso-2022-jp", "会議室の予約", "会議室が予約できません。", "base64");
        Charset("koi8r", "koi8-r", "Не работает почта", "Почта не отправляется с утра.");
        Charset("koi8r-b64", "koi8-r", "Пароль истёк", "Не могу сменить пароль.", "base64");
        Charset("cp1251", "windows-1251", "Принтер сломан", "Принтер на третьем этаже не печатает.");
        Charset("cp1251-b64", "windows-1251", "Доступ к папке", "Нужен доступ к общей папке.", "base64");
        Charset("cp1252", "windows-1252", "Café – “smart quotes”", "Crème brûlée costs 5 € — naïve façade.");
        Charset("latin1", "iso-8859-1", "Größe der Datei", "Die Datei ist zu groß für das Postfach.");
        Charset("latin2", "iso-8859-2", "Zażółć gęślą jaźń", "Drukarka nie działa od rana.");
        Charset("gb2312", "gb2312", "打印机坏了", "三楼的打印机不能打印。");
        Charset("gb2312-b64", "gb2312", "邮箱已满", "我的邮箱已满，请帮忙清理。", "base64");
        Charset("gbk", "gbk", "无法登录系统", "登录时提示密码错误。");
        Charset("big5", "big5", "印表機故障", "三樓的印表機無法列印。");
        Charset("big5-b64", "big5", "網路很慢", "今天早上網路非常慢。", "base64");
        Charset("shiftjis", "shift_jis", "パスワードを忘れました", "パスワードをリセットしてください。");
        Charset("eucjp", "euc-jp", "メールが届きません", "取引先からのメールが届きません。");
        Charset("euckr", "euc-kr", "프린터 고장", "프린터가 작동하지 않습니다.");
        Charset("utf8-b64", "utf-8", "Ünïcødé ✓ 🚀", "Emoji body 🚀 and ✓ marks.", "base64");
        Charset("cp1250", "windows-1250", "Příliš žluťoučký kůň", "Tiskárna nefunguje.");
        Charset("iso8859-7", "iso-8859-7", "Πρόβλημα με τον εκτυπωτή", "Ο εκτυπωτής δεν λειτουργεί.");
        Charset("iso8859-15", "iso-8859-15", "Facture en €", "Le montant est de 12 € œuvre.");
        Charset("koi8u", "koi8-u", "Не працює ґанок", "Принтер не друкує, їжак.");
        Charset("cp1256", "windows-1256", "الطابعة لا تعمل", "الطابعة في الطابق الثالث لا تعمل.");
        Charset("cp1253", "windows-1253", "Κωδικός πρόσβασης", "Ξέχασα τον κωδικό μου.");
        Charset("iso8859-9", "iso-8859-9", "Yazıcı çalışmıyor", "Üçüncü kattaki yazıcı çalışmıyor.");
        Charset("tis620", "windows-874", "เครื่องพิมพ์เสีย", "เครื่องพิมพ์ชั้นสามเสีย");

        TicketBytes(c, "invalid-utf8", Concat(CorpusCase.Bytes($"From: badutf8@customer.example\r\nTo: {support}\r\nSubject: Invalid UTF-8 body\r\nMessage-ID: <{Id("invalid-utf8")}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBroken "), [0xC3, 0x28, 0xA0, 0xA1, 0xFF, 0xFE], CorpusCase.Bytes(" but readable after.\r\n")),
            "badutf8@customer.example", "Invalid UTF-8 body", "but readable after.");
        TicketBytes(c, "invalid-utf8-subject", Concat(CorpusCase.Bytes("From: badutf8subject@customer.example\r\nTo: " + support + "\r\nSubject: Raw "), [0xE2, 0x28, 0xA1], CorpusCase.Bytes($" subject\r\nMessage-ID: <{Id("invalid-utf8-subject")}>\r\n\r\nRaw bytes in subject.\r\n")),
            "badutf8subject@customer.example", null!, "Raw bytes in subject.");
        Ticket(c, "unknown-charset", $"From: unknowncs@customer.example\r\nTo: {support}\r\nSubject: =?x-unknown-42?Q?Unknown_charset_subject?=\r\nMessage-ID: <{Id("unknown-charset")}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-unknown-42\r\n\r\nPlain ASCII in an unknown charset.\r\n",
            "unknowncs@customer.example", "Unknown charset subject", "Plain ASCII in an unknown charset.");
        Ticket(c, "empty-charset", $"From: emptycs@customer.example\r\nTo: {support}\r\nSubject: Empty charset parameter\r\nMessage-ID: <{Id("empty-charset")}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"\"\r\n\r\nEmpty charset.\r\n",
            "emptycs@customer.example", "Empty charset parameter", "Empty charset.");
        TicketBytes(c, "mislabelled-latin1", Concat(CorpusCase.Bytes($"From: mislabelled@customer.example\r\nTo: {support}\r\nSubject: Latin-1 labelled UTF-8\r\nMessage-ID: <{Id("mislabelled-latin1")}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"), Encode("iso-8859-1", "Gr\u00fc\u00dfe aus K\u00f6ln, mislabelled.\r\n")),
            "mislabelled@customer.example", "Latin-1 labelled UTF-8", "mislabelled.");
        Ticket(c, "rfc2047-from", $"From: =?utf-8?B?{Convert.ToBase64String(Encoding.UTF8.GetBytes("Jürgen Müller"))}?= <juergen@customer.example>\r\nTo: {support}\r\nSubject: =?iso-8859-1?Q?Gr=FC=DFe?=\r\nMessage-ID: <{Id("rfc2047-from")}>\r\n\r\nEncoded name.\r\n",
            "juergen@customer.example", "Grüße", "Encoded name.");
        Ticket(c, "rfc2047-from-koi8", $"From: =?koi8-r?B?{Convert.ToBase64String(Encode("koi8-r", "Иван Петров"))}?= <ivan@customer.example>\r\nTo: {support}\r\nSubject: =?koi8-r?Q?=F0=D2=C9=D7=C5=D4?=\r\nMessage-ID: <{Id("rfc2047-from-koi8")}>\r\n\r\nKOI8 name.\r\n",
            "ivan@customer.example", "Привет", "KOI8 name.");
        Ticket(c, "rfc2047-broken", $"From: =?utf-8?B?broken-base64?= <brokenname@customer.example>\r\nTo: {support}\r\nSubject: =?utf-8?Q?Half_encoded?= and plain =?bogus\r\nMessage-ID: <{Id("rfc2047-broken")}>\r\n\r\nBroken encoded words.\r\n",
            "brokenname@customer.example", "Half encoded and plain =?bogus", "Broken encoded words.");
        Ticket(c, "rfc2047-split", $"From: split@customer.example\r\nTo: {support}\r\nSubject: =?utf-8?Q?Split_=E2=82?= =?utf-8?Q?=AC_euro?=\r\nMessage-ID: <{Id("rfc2047-split")}>\r\n\r\nSplit multibyte.\r\n",
            "split@customer.example", null!, "Split multibyte.");
    }

    private void Encodings()
    {
        const string c = "encodings";
        string Head(string name, string subject, string type, string cte) =>
            $"From: {name}@customer.example\r\nTo: {support}\r\nSubject: {subject}\r\nMessage-ID: <{Id(name)}>\r\nMIME-Version: 1.0\r\nContent-Type: {type}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n";
        Ticket(c, "broken-base64", Head("broken-base64", "Broken base64 body", "text/plain; charset=utf-8", "base64") + Convert.ToBase64String(Encoding.UTF8.GetBytes("Decoded words before damage.")) + "\r\n!!@@##$$ not base64 %%^^\r\n",
            "broken-base64@customer.example", "Broken base64 body", "Decoded words before damage.");
        Ticket(c, "truncated-base64", Head("truncated-base64", "Truncated base64", "text/plain; charset=utf-8", "base64") + Convert.ToBase64String(Encoding.UTF8.GetBytes("Truncated text survives partly."))[..30] + "\r\n",
            "truncated-base64@customer.example", "Truncated base64", "Truncated text");
        Ticket(c, "broken-qp", Head("broken-qp", "Broken quoted-printable", "text/plain; charset=utf-8", "quoted-printable") + "Soft=\r\nbreak and =ZZ bad escape and =E2=82=AC euro and trailing =\r\n",
            "broken-qp@customer.example", "Broken quoted-printable", "Softbreak and");
        Ticket(c, "qp-long", Head("qp-long", "Quoted-printable long lines", "text/plain; charset=iso-8859-1", "quoted-printable") + string.Concat(Enumerable.Repeat("Gr=FC=DFe ", 5000)) + "\r\n",
            "qp-long@customer.example", "Quoted-printable long lines", "Grüße Grüße");
        Ticket(c, "unknown-cte", Head("unknown-cte", "Unknown transfer encoding", "text/plain; charset=utf-8", "x-uuencode-ish") + "Readable anyway.\r\n",
            "unknown-cte@customer.example", "Unknown transfer encoding", "Readable anyway.");
        Ticket(c, "uppercase-cte", Head("uppercase-cte", "Upper-case BASE64", "TEXT/PLAIN; CHARSET=UTF-8", "BASE64") + Convert.ToBase64String(Encoding.UTF8.GetBytes("Shouting encodings work.")) + "\r\n",
            "uppercase-cte@customer.example", "Upper-case BASE64", "Shouting encodings work.");
        var attachmentHead = $"From: rfc2231@customer.example\r\nTo: {support}\r\nSubject: RFC 2231 file names\r\nMessage-ID: <{Id("rfc2231")}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b2231\"\r\n\r\n--b2231\r\nContent-Type: text/plain\r\n\r\nSee the files.\r\n";
        var attachments = "--b2231\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''R%C3%A9sum%C3%A9%20%E2%80%93%20final.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n" +
                          "--b2231\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename*0*=iso-8859-1''Gr%FC%DFe; filename*1=\"_und_mehr\"; filename*2=\".txt\"\r\n\r\ncontinued name\r\n" +
                          "--b2231\r\nContent-Type: application/octet-stream; name=\"=?utf-8?B?5pel5pys6Kqe?=.bin\"\r\nContent-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b2231--\r\n";
        Ticket(c, "rfc2231", attachmentHead + attachments, "rfc2231@customer.example", "RFC 2231 file names", "See the files.", "Résumé – final.pdf", "Grüße_und_mehr.txt", "日本語.bin");
        var brokenAttachment = $"From: brokenattachment@customer.example\r\nTo: {support}\r\nSubject: Attachment with broken base64\r\nMessage-ID: <{Id("broken-attachment")}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"bb\"\r\n\r\n--bb\r\nContent-Type: text/plain\r\n\r\nThe file is damaged.\r\n--bb\r\nContent-Type: application/pdf; name=report.pdf\r\nContent-Disposition: attachment; filename=report.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0x$$$###LjQK=====garbage\r\n--bb--\r\n";
        Ticket(c, "broken-attachment", brokenAttachment, "brokenattachment@customer.example", "Attachment with broken base64", "The file is damaged.", "report.pdf");
        var noName = $"From: noname@customer.example\r\nTo: {support}\r\nSubject: Attachment without a name\r\nMessage-ID: <{Id("no-name")}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"nn\"\r\n\r\n--nn\r\nContent-Type: text/plain\r\n\r\nUnnamed file.\r\n--nn\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment\r\n\r\nbytes\r\n--nn--\r\n";
        TicketBytes(c, "no-name", CorpusCase.Bytes(noName), "noname@customer.example", "Attachment without a name", "Unnamed file.");
        var pathName = $"From: pathname@customer.example\r\nTo: {support}\r\nSubject: Attachment named with a path\r\nMessage-ID: <{Id("path-name")}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"pp\"\r\n\r\n--pp\r\nContent-Type: text/plain\r\n\r\nPath in name.\r\n--pp\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"..\\..\\windows\\evil.txt\"\r\n\r\nevil\r\n--pp--\r\n";
        TicketBytes(c, "path-name", CorpusCase.Bytes(pathName), "pathname@customer.example", "Attachment named with a path", "Path in name.");
    }

    private void Structure()
    {
        const string c = "structure";
        {
            var m = Message("nested", "nested@customer.example", "Nested mixed/related/alternative");
            var alternative = new MultipartAlternative { new TextPart("plain") { Text = "Nested plain part." }, new TextPart("html") { Text = "<p>Nested <b>html</b> part.<img src=\"cid:logo@x\"></p>" } };
            var related = new MultipartRelated { alternative, new MimePart("image", "png") { ContentId = "logo@x", Content = new MimeContent(new MemoryStream([137, 80, 78, 71])), FileName = "logo.png" } };
            var mixed = new Multipart("mixed") { related, new MimePart("application", "pdf") { FileName = "invoice.pdf", Content = new MimeContent(new MemoryStream("%PDF-1.4"u8.ToArray())) } };
            m.Body = mixed;
            TicketBytes(c, "nested", Bytes(m), "nested@customer.example", "Nested mixed/related/alternative", "Nested plain part.", ["logo.png", "invoice.pdf"]);
        }

        {
            var m = Message("deep", "deep@customer.example", "Forty levels of nesting");
            MimeEntity body = new TextPart("plain") { Text = "At the bottom of the nest." };
            for (var i = 0; i < 40; i++)
            {
                body = new Multipart("mixed") { body };
            }

            m.Body = body;
            TicketBytes(c, "deep", Bytes(m), "deep@customer.example", "Forty levels of nesting", "At the bottom of the nest.", []);
        }

        {
            var m = Message("html-only", "htmlonly@customer.example", "HTML only");
            m.Body = new TextPart("html") { Text = "<html><body><p>Only <i>HTML</i> here.</p><script>alert(1)</script></body></html>" };
            TicketBytes(c, "html-only", Bytes(m), "htmlonly@customer.example", "HTML only", "Only HTML here.", []);
        }

        {
            var m = Message("malformed-html", "malformed@customer.example", "Malformed HTML");
            m.Body = new TextPart("html") { Text = "<html><body><div><p>Unclosed <b>tags <table><tr><td>cell text<p>after the table</body" };
            TicketBytes(c, "malformed-html", Bytes(m), "malformed@customer.example", "Malformed HTML", "cell text", []);
        }

        {
            var m = Message("html-entities", "entities@customer.example", "HTML with entities and styles");
            m.Body = new TextPart("html") { Text = "<html><head><style>p{color:red}</style></head><body><p>Fish &amp; chips &lt;3 &nbsp;&euro;5</p></body></html>" };
            TicketBytes(c, "html-entities", Bytes(m), "entities@customer.example", "HTML with entities and styles", "Fish & chips <3", []);
        }

        {
            var m = Message("forwarded", "forwarder@customer.example", "Fwd: Original problem");
            var inner = Message("forwarded-inner", "original@elsewhere.example", "Original problem");
            inner.Body = new TextPart("plain") { Text = "The inner message text." };
            m.Body = new Multipart("mixed") { new TextPart("plain") { Text = "Forwarding this one, see below." }, new MessagePart { Message = inner } };
            TicketBytes(c, "forwarded-rfc822", Bytes(m), "forwarder@customer.example", "Original problem", "Forwarding this one", ["Original problem.eml"]);
        }

        {
            var m = Message("forwarded-inline", "fwdinline@customer.example", "FW: Printer again");
            m.Body = new TextPart("plain") { Text = "Please look at this.\r\n\r\n---------- Forwarded message ---------\r\nFrom: Someone <someone@elsewhere.example>\r\nDate: Mon, 30 Nov 2026\r\nSubject: Printer again\r\n\r\nThe printer is broken again.\r\n" };
            TicketBytes(c, "forwarded-inline", Bytes(m), "fwdinline@customer.example", "Printer again", "Please look at this.", []);
        }

        {
            var m = Message("calendar", "organiser@customer.example", "Invitation: Server maintenance");
            var ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:" + run + "\r\nDTSTART:20261210T100000Z\r\nSUMMARY:Server maintenance\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
            var calendar = new TextPart("calendar") { Text = ics };
            calendar.ContentType.Parameters.Add("method", "REQUEST");
            m.Body = new Multipart("mixed") { new MultipartAlternative { new TextPart("plain") { Text = "You are invited to server maintenance." }, calendar }, new MimePart("application", "ics") { FileName = "invite.ics", Content = new MimeContent(new MemoryStream(Encoding.UTF8.GetBytes(ics))) } };
            TicketBytes(c, "calendar", Bytes(m), "organiser@customer.example", "Invitation: Server maintenance", "You are invited to server maintenance.");
        }

        {
            var m = Message("tnef", "outlook@customer.example", "Outlook rich text with winmail.dat");
            var tnef = new MimePart("application", "ms-tnef") { FileName = "winmail.dat", Content = new MimeContent(new MemoryStream(TnefBuilder.Build("Body from TNEF.", ("budget.xlsx", "budget"u8.ToArray())))) };
            m.Body = new Multipart("mixed") { new TextPart("plain") { Text = "See the attached budget." }, tnef };
            TicketBytes(c, "tnef", Bytes(m), "outlook@customer.example", "Outlook rich text with winmail.dat", "See the attached budget.", ["budget.xlsx"]);
        }

        {
            var m = Message("tnef-broken", "outlookbroken@customer.example", "Broken winmail.dat");
            var tnef = new MimePart("application", "ms-tnef") { FileName = "winmail.dat", Content = new MimeContent(new MemoryStream("not tnef at all"u8.ToArray())) };
            m.Body = new Multipart("mixed") { new TextPart("plain") { Text = "Broken TNEF inside." }, tnef };
            TicketBytes(c, "tnef-broken", Bytes(m), "outlookbroken@customer.example", "Broken winmail.dat", "Broken TNEF inside.", ["winmail.dat"]);
        }

        {
            var signed = $"From: signer@customer.example\r\nTo: {support}\r\nSubject: S/MIME signed request\r\nMessage-ID: <{Id("smime-signed")}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"sig\"\r\n\r\n--sig\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSigned body text.\r\n--sig\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Disposition: attachment; filename=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwEAAKCA\r\n--sig--\r\n";
            TicketBytes(c, "smime-signed", CorpusCase.Bytes(signed), "signer@customer.example", "S/MIME signed request", "Signed body text.", ["smime.p7s"]);
            var opaque = $"From: opaque@customer.example\r\nTo: {support}\r\nSubject: S/MIME opaque signed\r\nMessage-ID: <{Id("smime-opaque")}>\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\nContent-Disposition: attachment; filename=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwEAAKCA\r\n";
            Add(c, "smime-opaque", CorpusCase.Bytes(opaque), Expected.Ticket, x => x with { Requester = "opaque@customer.example", Subject = "S/MIME opaque signed", Attachments = ["smime.p7m"] });
            foreach (var (name, type) in new[] { ("smime-encrypted", "application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m"), ("smime-encrypted-x", "application/x-pkcs7-mime; name=smime.p7m"), ("pgp-encrypted", "multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"pgp\"") })
            {
                var body = type.StartsWith("multipart", StringComparison.Ordinal)
                    ? "--pgp\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--pgp\r\nContent-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESSAGE-----\r\nhQEMA\r\n-----END PGP MESSAGE-----\r\n--pgp--\r\n"
                    : "MIAGCSqGSIb3DQEHA6CAMIACAQAxggFAMIIBPAIBADAkMBYxFDASBgNVBAMTC2V4YW1wbGUuY29t\r\n";
                var raw = $"From: {name}@customer.example\r\nTo: {support}\r\nSubject: Encrypted {name}\r\nMessage-ID: <{Id(name)}>\r\nMIME-Version: 1.0\r\nContent-Type: {type}\r\n" +
                          (type.StartsWith("multipart", StringComparison.Ordinal) ? "" : "Content-Transfer-Encoding: base64\r\n") + "\r\n" + body;
                Add(c, name, CorpusCase.Bytes(raw), Expected.Failed, x => x with { Reason = "encrypted" });
            }
        }

        {
            var m = Message("inline-images", "inline@customer.example", "Pasted screenshots");
            var builder = new BodyBuilder { HtmlBody = "<p>Screenshot one <img src=\"cid:one@x\"> and two <img src=\"cid:two@x\"></p>", TextBody = "Screenshots inline." };
            builder.LinkedResources.Add("one.png", new byte[] { 1, 2, 3 }, new ContentType("image", "png")).ContentId = "one@x";
            builder.LinkedResources.Add("two.png", new byte[] { 4, 5, 6 }, new ContentType("image", "png")).ContentId = "two@x";
            m.Body = builder.ToMessageBody();
            TicketBytes(c, "inline-images", Bytes(m), "inline@customer.example", "Pasted screenshots", "Screenshots inline.", ["one.png", "two.png"]);
        }

        {
            var m = Message("many-attachments", "manyfiles@customer.example", "Fifty attachments");
            var builder = new BodyBuilder { TextBody = "Fifty small files." };
            for (var i = 0; i < 50; i++)
            {
                builder.Attachments.Add($"file-{i:D2}.txt", Encoding.UTF8.GetBytes($"file {i}"), new ContentType("text", "plain"));
            }

            m.Body = builder.ToMessageBody();
            TicketBytes(c, "many-attachments", Bytes(m), "manyfiles@customer.example", "Fifty attachments", "Fifty small files.", Enumerable.Range(0, 50).Select(i => $"file-{i:D2}.txt").ToArray());
        }

        {
            // 1,000 parts, generated at test time (not committed).
            var m = Message("thousand-parts", "thousand@customer.example", "One thousand parts");
            var mixed = new Multipart("mixed") { new TextPart("plain") { Text = "A thousand parts follow." } };
            for (var i = 1; i < 1000; i++)
            {
                mixed.Add(new MimePart("application", "octet-stream") { FileName = $"part-{i:D4}.bin", Content = new MimeContent(new MemoryStream([(byte)i])) });
            }

            m.Body = mixed;
            TicketBytes(c, "thousand-parts", Bytes(m), "thousand@customer.example", "One thousand parts", "A thousand parts follow.", Enumerable.Range(1, 999).Select(i => $"part-{i:D4}.bin").ToArray());
        }

        {
            // A 20 MB attachment, generated at test time: 27 MB encoded, over the mailbox's default 25 MB limit.
            var m = Message("twenty-mb", "bigfile@customer.example", "Twenty megabyte attachment");
            var builder = new BodyBuilder { TextBody = "The disk image is attached." };
            var content = new byte[20 * 1024 * 1024];
            new Random(20).NextBytes(content);
            builder.Attachments.Add("disk.img", content, new ContentType("application", "octet-stream"));
            m.Body = builder.ToMessageBody();
            Add(c, "twenty-mb", Bytes(m), Expected.Failed, x => x with { Reason = "over this mailbox's 25 MB limit" });
            var smaller = Message("ten-mb", "mediumfile@customer.example", "Ten megabyte attachment");
            var medium = new BodyBuilder { TextBody = "The smaller image is attached." };
            medium.Attachments.Add("small.img", content.AsSpan(0, 10 * 1024 * 1024).ToArray(), new ContentType("application", "octet-stream"));
            smaller.Body = medium.ToMessageBody();
            TicketBytes(c, "ten-mb", Bytes(smaller), "mediumfile@customer.example", "Ten megabyte attachment", "The smaller image is attached.", ["small.img"]);
        }

        {
            var m = Message("alt-no-text", "altnotext@customer.example", "Alternative with empty parts");
            m.Body = new MultipartAlternative { new TextPart("plain") { Text = "" }, new TextPart("html") { Text = "<p>Only the HTML has words.</p>" } };
            TicketBytes(c, "alt-no-text", Bytes(m), "altnotext@customer.example", "Alternative with empty parts", "Only the HTML has words.", []);
        }

        {
            var m = Message("text-attachment", "textattach@customer.example", "Text file attached, not inline");
            var builder = new BodyBuilder { TextBody = "Log attached." };
            builder.Attachments.Add("log.txt", "log line 1\nlog line 2"u8.ToArray(), new ContentType("text", "plain"));
            m.Body = builder.ToMessageBody();
            TicketBytes(c, "text-attachment", Bytes(m), "textattach@customer.example", "Text file attached, not inline", "Log attached.", ["log.txt"]);
        }
    }

    private void Bounces()
    {
        const string c = "bounces";
        for (var i = 1; i <= 4; i++)
        {
            var original = Id($"plain-{i}");
            var dsn = $"Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.elsewhere.example>\r\nTo: {support}\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <{Id($"dsn-{i}")}>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"dsn\"\r\n\r\n" +
                      "--dsn\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. Your message could not be delivered.\r\n" +
                      $"--dsn\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.elsewhere.example\r\n\r\nFinal-Recipient: rfc822; gone{i}@elsewhere.example\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
                      $"--dsn\r\nContent-Type: message/rfc822-headers\r\n\r\nFrom: {support}\r\nTo: gone{i}@elsewhere.example\r\nMessage-ID: <{original}>\r\nSubject: Baseline request {i}\r\n--dsn--\r\n";
            Add(c, $"dsn-{i}", CorpusCase.Bytes(dsn), Expected.Ignored, x => x with { Reason = "Bounce", AttachedTo = $"plain-{i}" });
        }

        for (var i = 1; i <= 3; i++)
        {
            var dsn = $"From: postmaster@relay.example\r\nTo: {support}\r\nSubject: Delivery Status Notification (Failure)\r\nMessage-ID: <{Id($"dsn-unknown-{i}")}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n" +
                      $"--r\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay.example\r\n\r\nFinal-Recipient: rfc822; x{i}@nowhere.example\r\nAction: failed\r\nStatus: 5.0.0\r\n--r--\r\n";
            Ignored(c, $"dsn-unknown-{i}", dsn, "Bounce");
        }

        for (var i = 1; i <= 3; i++)
        {
            var ndr = $"From: Microsoft Outlook <postmaster@outlook.example>\r\nTo: {support}\r\nSubject: Undeliverable: Baseline request {i}\r\nMessage-ID: <{Id($"ndr-{i}")}>\r\nX-MS-Exchange-Message-Is-Ndr: \r\nContent-Language: en-US\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"ndr\"\r\n\r\n" +
                      "--ndr\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nYour message to someone couldn't be delivered.\r\n--alt\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n<p>Your message couldn't be delivered.</p>\r\n--alt--\r\n" +
                      "--ndr\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns;AM0PR01MB.outlook.example\r\n\r\nFinal-Recipient: rfc822;someone@nowhere.example\r\nAction: failed\r\nStatus: 5.1.10\r\nDiagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound\r\n" +
                      $"--ndr\r\nContent-Type: message/rfc822\r\n\r\nFrom: {support}\r\nTo: someone@nowhere.example\r\nSubject: Baseline request {i}\r\nMessage-ID: <{Id($"plain-{i + 4}")}>\r\n\r\nOriginal text.\r\n--ndr--\r\n";
            Add(c, $"exchange-ndr-{i}", CorpusCase.Bytes(ndr), Expected.Ignored, x => x with { Reason = "Bounce", AttachedTo = $"plain-{i + 4}" });
        }

        Ignored(c, "mailer-daemon-plain", $"Return-Path: <>\r\nFrom: MAILER-DAEMON@old.example\r\nTo: {support}\r\nSubject: failure notice\r\nMessage-ID: <{Id("mailer-daemon-plain")}>\r\n\r\nHi. This is the qmail-send program. I'm afraid I wasn't able to deliver your message.\r\n", "Bounce");
        Ignored(c, "mailer-daemon-no-return-path", $"From: mailer-daemon@old.example\r\nTo: {support}\r\nSubject: Returned mail: see transcript\r\nMessage-ID: <{Id("mailer-daemon-no-return-path")}>\r\n\r\nThe original message was received but could not be delivered.\r\n", "Bounce");
        Ignored(c, "read-receipt", $"From: reader@customer.example\r\nTo: {support}\r\nSubject: Read: Baseline request 1\r\nMessage-ID: <{Id("read-receipt")}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=disposition-notification; boundary=\"mdn\"\r\n\r\n--mdn\r\nContent-Type: text/plain\r\n\r\nYour message was read.\r\n--mdn\r\nContent-Type: message/disposition-notification\r\n\r\nFinal-Recipient: rfc822; reader@customer.example\r\nDisposition: manual-action/MDN-sent-manually; displayed\r\n--mdn--\r\n", "machine report");
    }

    private void AutoReplies()
    {
        const string c = "auto-replies";
        string Auto(string name, string subject, string extra, string body = "I am away until Monday.") =>
            $"From: {name}@customer.example\r\nTo: {support}\r\nSubject: {subject}\r\nMessage-ID: <{Id(name)}>\r\n{extra}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n";
        Ignored(c, "auto-submitted-replied", Auto("as-replied", "Re: your mail", "Auto-Submitted: auto-replied"), "Auto-Submitted");
        Ignored(c, "auto-submitted-generated", Auto("as-generated", "Weekly report", "Auto-Submitted: auto-generated"), "Auto-Submitted");
        Ignored(c, "auto-submitted-params", Auto("as-params", "Notice", "Auto-Submitted: auto-notified; owner-email=\"x@y\""), "Auto-Submitted");
        Ignored(c, "x-autoreply", Auto("x-autoreply", "Away", "X-Autoreply: yes"), "X-Autoreply");
        Ignored(c, "x-autorespond", Auto("x-autorespond", "Thanks for your mail", "X-Autorespond: Thanks"), "X-Autorespond");
        Ignored(c, "x-auto-response-suppress", Auto("x-ars", "Holiday", "X-Auto-Response-Suppress: All"), "X-Auto-Response-Suppress");
        Ignored(c, "precedence-bulk", Auto("prec-bulk", "Newsletter", "Precedence: bulk"), "Precedence");
        Ignored(c, "precedence-junk", Auto("prec-junk", "Offer", "Precedence: junk"), "Precedence");
        Ignored(c, "precedence-list", Auto("prec-list", "[list] digest", "Precedence: list"), "Precedence");
        Ignored(c, "precedence-auto-reply", Auto("prec-auto", "Away", "Precedence: auto_reply"), "Precedence");
        Ignored(c, "inbox-rule-loop", Auto("rules-loop", "Forwarded by rule", "X-MS-Exchange-Inbox-Rules-Loop: someone@customer.example"), "Inbox-Rules-Loop");
        var subjects = new (string Name, string Subject)[]
        {
            ("en", "Automatic reply: Baseline request 1"), ("en-ooo", "Out of Office: Baseline request 2"), ("de", "Abwesenheitsnotiz: Baseline request 3"),
            ("de-auto", "Automatische Antwort: Ihre Anfrage"), ("fr", "Réponse automatique : Votre demande"), ("sv", "Autosvar: Din förfrågan"),
            ("nl", "Automatisch antwoord: Uw aanvraag"), ("es", "Respuesta automática: Su solicitud"), ("it", "Risposta automatica: La sua richiesta"),
            ("ja", "自動応答: お問い合わせ"), ("zh", "自动回复: 您的请求"), ("zh-tw", "自動回覆: 您的請求"), ("ru", "Автоматический ответ: Ваш запрос"),
            ("pl", "Automatyczna odpowiedź: Twoje zgłoszenie"), ("pt", "Resposta automática: Sua solicitação"), ("fi", "Automaattinen vastaus: Pyyntösi"),
        };
        foreach (var (lang, subject) in subjects)
        {
            Ignored(c, $"subject-{lang}", $"Return-Path: <>\r\nFrom: away-{lang}@customer.example\r\nTo: {support}\r\nSubject: =?utf-8?B?{Convert.ToBase64String(Encoding.UTF8.GetBytes(subject))}?=\r\nMessage-ID: <{Id($"subject-{lang}")}>\r\n\r\nAway.\r\n", "Auto-reply");
        }

        Ticket(c, "auto-submitted-no", Auto("as-no", "Real person, Auto-Submitted: no", "Auto-Submitted: no", "A real question."), "as-no@customer.example", "Real person, Auto-Submitted: no", "A real question.");
        Ticket(c, "out-of-office-word-in-body", Auto("ooo-body", "Question about the out of office tool", "", "How do I set my out of office?"), "ooo-body@customer.example", "Question about the out of office tool", "How do I set my out of office?");
        Ignored(c, "own-mailbox", $"From: {support}\r\nTo: {support}\r\nSubject: Sent to myself\r\nMessage-ID: <{Id("own-mailbox")}>\r\n\r\nLoop.\r\n", "connected mailbox");
    }

    private void Threading()
    {
        const string c = "threading";
        string Reply(string name, string from, string subject, string inReplyTo, string body, string? references = null, string type = "text/plain; charset=utf-8") =>
            $"From: {from}\r\nTo: {support}\r\nSubject: {subject}\r\nMessage-ID: <{Id(name)}>\r\nIn-Reply-To: <{inReplyTo}>\r\nReferences: {references ?? $"<{inReplyTo}>"}\r\nMIME-Version: 1.0\r\nContent-Type: {type}\r\n\r\n{body}\r\n";
        void ReplyCase(string name, string raw, string threadsTo, string excerpt, string? notInBody = null) =>
            Add(c, name, CorpusCase.Bytes(raw), Expected.Reply, x => x with { ThreadsTo = threadsTo, Excerpt = excerpt, NotInBody = notInBody });

        Ticket(c, "original", Plain("original", "thread@customer.example", "Laptop will not boot", "It shows a black screen."), "thread@customer.example", "Laptop will not boot", "It shows a black screen.");
        ReplyCase("outlook-reply", Reply("outlook-reply", "thread@customer.example", "RE: Laptop will not boot", Id("original"),
            "It still does not boot.\r\n\r\n________________________________\r\nFrom: Support <support@x>\r\nSent: Monday, November 30, 2026 10:00\r\nTo: thread@customer.example\r\nSubject: Laptop will not boot\r\n\r\nOUTLOOK QUOTED HISTORY"), "original", "It still does not boot.", "OUTLOOK QUOTED HISTORY");
        ReplyCase("gmail-reply", Reply("gmail-reply", "thread@customer.example", "Re: Laptop will not boot", Id("outlook-reply"),
            "Tried safe mode too.\r\n\r\nOn Mon, Nov 30, 2026 at 10:00 AM Support <support@x> wrote:\r\n> GMAIL QUOTED HISTORY\r\n> more\r\n", $"<{Id("original")}> <{Id("outlook-reply")}>"), "original", "Tried safe mode too.", "GMAIL QUOTED HISTORY");
        ReplyCase("apple-reply", Reply("apple-reply", "thread@customer.example", "Re: Laptop will not boot", Id("gmail-reply"),
            "Booted once.\r\n\r\n> On 30 Nov 2026, at 10:00, Support <support@x> wrote:\r\n> \r\n> APPLE QUOTED HISTORY\r\n"), "original", "Booted once.", "APPLE QUOTED HISTORY");
        ReplyCase("thunderbird-reply", Reply("thunderbird-reply", "thread@customer.example", "Re: Laptop will not boot", Id("apple-reply"),
            "Dead again.\r\n\r\nOn 30/11/2026 10:00, Support wrote:\r\n> THUNDERBIRD QUOTED HISTORY\r\n"), "original", "Dead again.", "THUNDERBIRD QUOTED HISTORY");
        ReplyCase("outlook-html-reply", Reply("outlook-html-reply", "thread@customer.example", "RE: Laptop will not boot", Id("original"),
            "<html><body><div>HTML reply on top.</div><div id=\"appendonsend\"></div><hr><div id=\"divRplyFwdMsg\"><b>From:</b> Support<br><b>Sent:</b> Monday<br><b>Subject:</b> Laptop</div><div>OUTLOOK HTML HISTORY</div></body></html>", type: "text/html; charset=utf-8"),
            "original", "HTML reply on top.", "OUTLOOK HTML HISTORY");
        ReplyCase("references-only", $"From: thread@customer.example\r\nTo: {support}\r\nSubject: Laptop will not boot\r\nMessage-ID: <{Id("references-only")}>\r\nReferences: <unknown.{run}@x> <{Id("original")}>\r\n\r\nOnly References point back.\r\n", "original", "Only References point back.");
        ReplyCase("in-reply-to-only", $"From: thread@customer.example\r\nTo: {support}\r\nSubject: no prefix at all\r\nMessage-ID: <{Id("in-reply-to-only")}>\r\nIn-Reply-To: <{Id("original")}>\r\n\r\nOnly In-Reply-To points back.\r\n", "original", "Only In-Reply-To points back.");
        ReplyCase("other-sender-reply", Reply("other-sender-reply", "colleague@customer.example", "RE: Laptop will not boot", Id("original"), "A colleague adds detail."), "original", "A colleague adds detail.");

        Ticket(c, "original-zh", Plain("original-zh", "zh@customer.example", "打印机卡纸", "打印机一直卡纸。"), "zh@customer.example", "打印机卡纸", "打印机一直卡纸。");
        foreach (var (name, prefix) in new[] { ("zh-hui", "回复："), ("zh-da", "答复: "), ("zh-re-fullwidth", "RE："), ("zh-tw-reply", "回覆:") })
        {
            ReplyCase(name, Reply(name, "zh@customer.example", prefix + "打印机卡纸", Id("original-zh"), $"还是卡纸 {name}。"), "original-zh", $"还是卡纸 {name}。");
        }

        var seed = seedTicket.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var variants = new (string Name, string Subject)[]
        {
            ("tag-plain", $"[Ticket #{seed}] Seed issue"), ("tag-re", $"RE: [Ticket #{seed}] Seed issue"), ("tag-aw", $"AW: [Ticket #{seed}] Seed issue"),
            ("tag-sv", $"SV: [Ticket #{seed}] Seed issue"), ("tag-vs", $"VS: [Ticket #{seed}] Seed issue"), ("tag-wg", $"WG: [Ticket #{seed}] Seed issue"),
            ("tag-tr", $"TR: [Ticket #{seed}] Seed issue"), ("tag-antw", $"Antw: [Ticket #{seed}] Seed issue"), ("tag-odp", $"Odp: [Ticket #{seed}] Seed issue"),
            ("tag-re2", $"Re[2]: [Ticket #{seed}] Seed issue"), ("tag-hash-only", $"Re: [#{seed}] Seed issue"), ("tag-bare", $"Re: Seed issue Ticket #{seed}"),
            ("tag-nospace", $"RE:[Ticket#{seed}]Seed issue"), ("tag-spaces", $"RE: [ Ticket # {seed} ] Seed issue"), ("tag-lower", $"re: [ticket #{seed}] seed issue"),
            ("tag-end", $"Seed issue update [Ticket #{seed}]"), ("tag-zh", $"回复：[Ticket #{seed}] Seed issue"), ("tag-fwd", $"Fwd: FW: [Ticket #{seed}] Seed issue"),
        };
        foreach (var (name, subject) in variants)
        {
            ReplyCase(name, Plain(name, SeedSender, subject, $"Seed update {name}."), "seed", $"Seed update {name}.");
        }

        // The tag from a stranger does not inject into the seed ticket: a new ticket.
        Ticket(c, "tag-stranger", Plain("tag-stranger", "mallory@elsewhere.example", $"RE: [Ticket #{seed}] Seed issue", "Click this link."), "mallory@elsewhere.example", "Seed issue", "Click this link.");
        // A tag for a ticket that does not exist: a new ticket.
        Ticket(c, "tag-unknown", Plain("tag-unknown", SeedSender, "RE: [Ticket #987654321] Ghost", "Nobody has this number."), SeedSender, "Ghost", "Nobody has this number.");
        // Subject prefixes in other languages on new mail are stripped from the ticket subject.
        foreach (var (name, subject) in new[] { ("prefix-aw", "AW: Drucker defekt"), ("prefix-sv", "SV: Skrivaren är trasig"), ("prefix-zh", "回复：网络断了"), ("prefix-zh-zhuan", "转发: 网络断了"), ("prefix-ru", "Отв: Сеть не работает"), ("prefix-el", "ΑΠ: Ο εκτυπωτής") })
        {
            var expected = subject[(subject.IndexOfAny([':', '：']) + 1)..].Trim();
            Ticket(c, name, Plain(name, $"{name}@customer.example", $"=?utf-8?B?{Convert.ToBase64String(Encoding.UTF8.GetBytes(subject))}?=", $"Body of {name}."), $"{name}@customer.example", expected, $"Body of {name}.");
        }

        // A reply whose original is unknown to this portal opens a new ticket.
        Ticket(c, "orphan-reply", Reply("orphan-reply", "orphan@customer.example", "RE: Something we never saw", $"never.{run}@elsewhere.example", "Orphaned reply."), "orphan@customer.example", "Something we never saw", "Orphaned reply.");
    }
}
