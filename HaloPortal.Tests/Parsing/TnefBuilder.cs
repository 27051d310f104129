using System.Text;
using MimeKit.Tnef;

namespace HaloPortal.Tests.Parsing;

/// <summary>
/// Writes a minimal, valid TNEF stream as Outlook does for winmail.dat ([MS-OXTNEF] 2.1): the signature, a legacy
/// key, then attributes of (level byte, attribute id, length, value, 16-bit checksum of the value bytes). MimeKit can
/// read TNEF but has no writer, so the test builds one here from the specification rather than committing a binary.
/// </summary>
internal static class TnefBuilder
{
    private const uint Signature = 0x223E9F78;

    public static byte[] Build(string? body, params (string FileName, byte[] Content)[] attachments)
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        writer.Write(Signature);
        writer.Write((ushort)0x0001);

        Attribute(writer, TnefAttributeLevel.Message, TnefAttributeTag.TnefVersion, BitConverter.GetBytes(0x00010000u));
        Attribute(writer, TnefAttributeLevel.Message, TnefAttributeTag.OemCodepage, [.. BitConverter.GetBytes(1252u), .. BitConverter.GetBytes(0u)]);
        Attribute(writer, TnefAttributeLevel.Message, TnefAttributeTag.MessageClass, Encoding.ASCII.GetBytes("IPM.Microsoft Mail.Note\0"));
        if (body is not null)
            Attribute(writer, TnefAttributeLevel.Message, TnefAttributeTag.Body, Encoding.GetEncoding(1252).GetBytes(body));

        foreach (var (fileName, content) in attachments)
        {
            // attAttachRendData: AttachType 1 (file), AttachPosition, RenderWidth, RenderHeight, DataFlags.
            byte[] renderData = [.. BitConverter.GetBytes((ushort)1), .. BitConverter.GetBytes(0xFFFFFFFFu), .. BitConverter.GetBytes((ushort)32), .. BitConverter.GetBytes((ushort)32), .. BitConverter.GetBytes(0u)];
            Attribute(writer, TnefAttributeLevel.Attachment, TnefAttributeTag.AttachRenderData, renderData);
            Attribute(writer, TnefAttributeLevel.Attachment, TnefAttributeTag.AttachTitle, Encoding.GetEncoding(1252).GetBytes(fileName + "\0"));
            Attribute(writer, TnefAttributeLevel.Attachment, TnefAttributeTag.AttachData, content);
        }
        writer.Flush();
        return stream.ToArray();
    }

    private static void Attribute(BinaryWriter writer, TnefAttributeLevel level, TnefAttributeTag tag, byte[] value)
    {
        writer.Write((byte)level);
        writer.Write((uint)tag);
        writer.Write((uint)value.Length);
        writer.Write(value);
        var checksum = 0;
        foreach (var b in value)
            checksum = (checksum + b) & 0xFFFF;
        writer.Write((ushort)checksum);
    }
}
