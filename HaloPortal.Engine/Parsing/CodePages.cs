using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;

namespace HaloPortal.Engine.Parsing;

/// <summary>
/// Registers the code-page encodings (KOI8-R, GB2312, Big5, Shift_JIS, ISO-2022-JP...) before any code of this assembly runs.
/// MimeKit builds its charset table once, the first time it looks a charset up, and leaves out every encoding not registered
/// by then: one MimeKit call before the registration and every legacy-charset mail of the process decodes as Latin-1.
/// </summary>
internal static class CodePages
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries",
        Justification = "The registration must precede MimeKit's first charset lookup, whoever makes it; a later one is ignored by MimeKit.")]
    internal static void Register() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
}
