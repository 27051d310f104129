using System.Net.Mail;
using Microsoft.Graph.Models;

namespace HaloPortal.Engine.Contacts;

/// <summary>The user fields an Outlook contact field can be mapped to.</summary>
public enum UserField
{
    Name,
    FirstName,
    LastName,
    Email,
    Phone,
    Mobile,
    JobTitle,
    Department,
    Company,
    Address,
    Notes,
}

/// <summary>One mapping: an Outlook contact field (a key of <see cref="OutlookContactFields"/>) to a user field.</summary>
public sealed record ContactMappingItem(string OutlookField, UserField UserField);

/// <summary>An Outlook contact field that can be mapped: its key (Graph property path), label and the Graph property it needs.</summary>
public sealed record OutlookContactField(string Key, string Label, string GraphProperty, bool IsEmail, Func<Contact, string?> Read);

/// <summary>The Outlook contact fields that can be mapped, the default mappings, and the rules a mapping set must follow.</summary>
public static class OutlookContactFields
{
    public static IReadOnlyList<OutlookContactField> All { get; } =
    [
        new("displayName", "Display name", "displayName", false, c => c.DisplayName),
        new("givenName", "Given name", "givenName", false, c => c.GivenName),
        new("surname", "Surname", "surname", false, c => c.Surname),
        new("emailAddresses[0]", "Email address 1", "emailAddresses", true, c => Email(c, 0)),
        new("emailAddresses[1]", "Email address 2", "emailAddresses", true, c => Email(c, 1)),
        new("emailAddresses[2]", "Email address 3", "emailAddresses", true, c => Email(c, 2)),
        new("businessPhones[0]", "Business phone", "businessPhones", false, c => c.BusinessPhones?.FirstOrDefault()),
        new("homePhones[0]", "Home phone", "homePhones", false, c => c.HomePhones?.FirstOrDefault()),
        new("mobilePhone", "Mobile phone", "mobilePhone", false, c => c.MobilePhone),
        new("jobTitle", "Job title", "jobTitle", false, c => c.JobTitle),
        new("companyName", "Company", "companyName", false, c => c.CompanyName),
        new("department", "Department", "department", false, c => c.Department),
        new("officeLocation", "Office location", "officeLocation", false, c => c.OfficeLocation),
        new("businessAddress", "Business address (whole)", "businessAddress", false, c => FormatAddress(c.BusinessAddress)),
        new("businessAddress.street", "Business address: street", "businessAddress", false, c => c.BusinessAddress?.Street),
        new("businessAddress.city", "Business address: city", "businessAddress", false, c => c.BusinessAddress?.City),
        new("businessAddress.state", "Business address: state", "businessAddress", false, c => c.BusinessAddress?.State),
        new("businessAddress.postalCode", "Business address: postal code", "businessAddress", false, c => c.BusinessAddress?.PostalCode),
        new("businessAddress.countryOrRegion", "Business address: country or region", "businessAddress", false, c => c.BusinessAddress?.CountryOrRegion),
        new("personalNotes", "Notes", "personalNotes", false, c => c.PersonalNotes),
    ];

    private static readonly Dictionary<string, OutlookContactField> ByKey = All.ToDictionary(f => f.Key, StringComparer.OrdinalIgnoreCase);

    /// <summary>What a mailbox uses until its mappings are saved.</summary>
    public static IReadOnlyList<ContactMappingItem> Defaults { get; } =
    [
        new("displayName", UserField.Name),
        new("givenName", UserField.FirstName),
        new("surname", UserField.LastName),
        new("emailAddresses[0]", UserField.Email),
        new("businessPhones[0]", UserField.Phone),
        new("mobilePhone", UserField.Mobile),
        new("jobTitle", UserField.JobTitle),
        new("companyName", UserField.Company),
        new("department", UserField.Department),
    ];

    public static OutlookContactField? Find(string? key) => key is not null && ByKey.TryGetValue(key, out var f) ? f : null;

    public static string Label(UserField field) => field switch
    {
        UserField.FirstName => "First name",
        UserField.LastName => "Last name",
        UserField.JobTitle => "Job title",
        _ => field.ToString(),
    };

    /// <summary>Every reason the set cannot be saved (empty when it is valid).</summary>
    public static IReadOnlyList<string> Validate(IReadOnlyList<ContactMappingItem> mappings)
    {
        var errors = new List<string>();
        foreach (var m in mappings)
        {
            if (Find(m.OutlookField) is not { } field)
            {
                errors.Add($"'{m.OutlookField}' is not an Outlook contact field: choose one from the list.");
                continue;
            }

            if (!Enum.IsDefined(m.UserField))
            {
                errors.Add($"'{m.UserField}' is not a user field: choose one from the list.");
            }
            else if (field.IsEmail && m.UserField != UserField.Email)
            {
                errors.Add($"{field.Label} is an email address: map it to Email, not to {Label(m.UserField)}.");
            }
            else if (!field.IsEmail && m.UserField == UserField.Email)
            {
                errors.Add($"{field.Label} is not an email address: map one of the Email address fields to Email.");
            }
        }

        foreach (var twice in mappings.Where(m => Enum.IsDefined(m.UserField)).GroupBy(m => m.UserField).Where(g => g.Count() > 1))
        {
            errors.Add($"{Label(twice.Key)} is the target of {twice.Count()} mappings: each user field can be filled from one Outlook field only.");
        }

        if (!mappings.Any(m => m.UserField == UserField.Email))
        {
            errors.Add("Map an email address: users are matched by email (e.g. Email address 1 → Email).");
        }

        return errors;
    }

    /// <summary>The Graph properties to <c>$select</c> for these mappings (plus the display name for reports).</summary>
    public static string[] Select(IEnumerable<ContactMappingItem> mappings) =>
        mappings.Select(m => Find(m.OutlookField)?.GraphProperty).OfType<string>().Append("displayName").Append("id").Distinct().ToArray();

    /// <summary>Whether the text is a usable email address (one mailbox, no display name).</summary>
    public static bool IsEmailAddress(string text)
    {
        if (text.Length > 320 || text.Contains(' ') || !text.Contains('@'))
        {
            return false;
        }

        try
        {
            var address = new MailAddress(text);
            return address.Address.Equals(text, StringComparison.OrdinalIgnoreCase) && address.Host.Contains('.');
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string? Email(Contact c, int index) => c.EmailAddresses is { } list && list.Count > index ? list[index].Address : null;

    private static string? FormatAddress(PhysicalAddress? a) =>
        a is null ? null : string.Join(", ", new[] { a.Street, a.City, string.Join(' ', new[] { a.State, a.PostalCode }.Where(s => !string.IsNullOrWhiteSpace(s))), a.CountryOrRegion }
            .Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s!.Trim()));
}
