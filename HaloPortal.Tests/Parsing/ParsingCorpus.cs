using System.Text;
using HaloPortal.Engine.Parsing;
using MimeKit;

namespace HaloPortal.Tests.Parsing;

/// <summary>Reads the hand-written corpus and raw test messages through the real parser.</summary>
internal static class ParsingCorpus
{
    public static readonly IEmailParser Parser = new EmailParser();

    public static ParsedEmail Load(string fileName)
    {
        using var stream = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Parsing", "Corpus", fileName));
        return Parser.Parse(stream);
    }

    public static ParsedEmail Parse(string rawMime) => Parse(Encoding.UTF8.GetBytes(rawMime));

    public static ParsedEmail Parse(byte[] rawMime)
    {
        using var stream = new MemoryStream(rawMime);
        return Parser.Parse(stream);
    }

    public static ParsedEmail Parse(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        stream.Position = 0;
        return Parser.Parse(stream);
    }

    /// <summary>Headers (LF separated) + a blank line + body bytes in whatever encoding the test chose.</summary>
    public static ParsedEmail Parse(string headers, byte[] body) =>
        Parse([.. Encoding.ASCII.GetBytes(headers.TrimEnd('\n') + "\n\n"), .. body]);

    public static Encoding Charset(string name) => Encoding.GetEncoding(name);
}
