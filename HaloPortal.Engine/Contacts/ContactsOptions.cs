using System.ComponentModel.DataAnnotations;

namespace HaloPortal.Engine.Contacts;

/// <summary>Contact import settings (section <c>Portal:Contacts</c>).</summary>
public sealed class ContactsOptions
{
    public const string SectionName = "Portal:Contacts";

    /// <summary>Contacts requested per Graph page ($top).</summary>
    [Range(1, 1000, ErrorMessage = "Portal:Contacts:PageSize must be between 1 and 1000.")]
    public int PageSize { get; set; } = 100;

    /// <summary>Minutes between the scheduler's checks whether a mailbox's contact sync is due (its interval is set per mailbox in hours).</summary>
    [Range(1, 60, ErrorMessage = "Portal:Contacts:CheckEveryMinutes must be between 1 and 60.")]
    public int CheckEveryMinutes { get; set; } = 5;

    /// <summary>Seed the sandbox demo mailbox with Outlook contacts and matching sites on first start.</summary>
    public bool SeedDemoContacts { get; set; } = true;
}
