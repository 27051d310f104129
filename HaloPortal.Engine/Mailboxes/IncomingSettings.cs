namespace HaloPortal.Engine.Mailboxes;

/// <summary>The mailbox's Incoming tab: whether mail is read, from which folder, what happens to it afterwards, and the size limit.</summary>
/// <param name="IncomingEnabled">Whether mail arriving in the mailbox is processed.</param>
/// <param name="SourceFolder">The folder mail is read from: a well-known name (inbox) or a folder id.</param>
/// <param name="ProcessedAction">What happens to a message once its ticket is committed.</param>
/// <param name="ProcessedFolderName">The folder processed mail is moved to (for <see cref="ProcessedMailAction.MoveToFolder"/>).</param>
/// <param name="MaxEmailSizeMb">Mail larger than this is logged as failed and left in the mailbox.</param>
public sealed record IncomingSettings(bool IncomingEnabled, string SourceFolder, ProcessedMailAction ProcessedAction, string ProcessedFolderName, int MaxEmailSizeMb)
{
    /// <summary>The largest message Exchange Online accepts (150 MB), so the largest limit that means anything.</summary>
    public const int MaxEmailSizeLimitMb = 150;

    public static IncomingSettings Default { get; } = new(true, "inbox", ProcessedMailAction.MoveToFolder, "Processed", 25);

    internal static IncomingSettings From(Mailbox m) => new(m.IncomingEnabled, m.SourceFolder, m.ProcessedAction, m.ProcessedFolderName, m.MaxEmailSizeMb);

    /// <summary>Checks the settings; the exception's message says what to change.</summary>
    /// <exception cref="ArgumentException">A setting is missing or out of range.</exception>
    public static void Validate(IncomingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (string.IsNullOrWhiteSpace(settings.SourceFolder))
        {
            throw new ArgumentException("Enter the folder to read mail from, e.g. inbox.", "sourceFolder");
        }

        if (settings.SourceFolder.Trim().Length > 256)
        {
            throw new ArgumentException("Keep the source folder under 256 characters.", "sourceFolder");
        }

        if (!Enum.IsDefined(settings.ProcessedAction))
        {
            throw new ArgumentException("Choose what happens to processed mail: move it to a folder, mark it read, delete it, or leave it in place.", "processedAction");
        }

        if (settings.ProcessedAction == ProcessedMailAction.MoveToFolder)
        {
            var folder = settings.ProcessedFolderName?.Trim() ?? "";
            if (folder.Length == 0)
            {
                throw new ArgumentException("Enter the folder processed mail is moved to, e.g. Processed (it is created when missing).", "processedFolderName");
            }

            if (folder.Length > 256)
            {
                throw new ArgumentException("Keep the processed folder name under 256 characters.", "processedFolderName");
            }

            if (string.Equals(folder, settings.SourceFolder.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException("The processed folder must differ from the source folder, or processed mail would be read again.", "processedFolderName");
            }
        }

        if (settings.MaxEmailSizeMb is < 1 or > MaxEmailSizeLimitMb)
        {
            throw new ArgumentException($"The maximum email size must be between 1 and {MaxEmailSizeLimitMb} MB (Exchange Online accepts nothing larger).", "maxEmailSizeMb");
        }
    }
}
