namespace HaloPortal.Components.Shared;

/// <summary>
/// The messages an engine service refused a form with, by field: an <see cref="ArgumentException"/> names the field in
/// <see cref="ArgumentException.ParamName"/> and says what to do in its message. Fields the form does not show land in <see cref="General"/>.
/// </summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, string> _errors = new(StringComparer.OrdinalIgnoreCase);

    public string? General { get; private set; }

    public bool Any => _errors.Count > 0 || General is not null;

    public bool Has(string field) => _errors.ContainsKey(field);

    public string? this[string field] => _errors.GetValueOrDefault(field);

    public void Clear()
    {
        _errors.Clear();
        General = null;
    }

    public void Set(string field, string message) => _errors[field] = message;

    public void SetGeneral(string message) => General = message;

    /// <summary>Records the refusal under its field when the form shows that field, else as a general message.</summary>
    public void Set(ArgumentException refusal, params string[] shownFields)
    {
        var message = UserMessage(refusal);
        if (refusal.ParamName is { } field && shownFields.Contains(field, StringComparer.OrdinalIgnoreCase))
        {
            _errors[field] = message;
        }
        else
        {
            General = message;
        }
    }

    /// <summary>The exception's message without the " (Parameter 'x')" suffix .NET appends.</summary>
    public static string UserMessage(ArgumentException refusal) =>
        refusal.ParamName is null ? refusal.Message : refusal.Message.Replace($" (Parameter '{refusal.ParamName}')", "", StringComparison.Ordinal);
}
