namespace HaloPortal.Sandbox.Graph;

/// <summary>What a route needs the caller to hold for the mailbox its path names.</summary>
internal enum GraphAccess
{
    /// <summary>No mailbox in the path (subscriptions); the handler checks what it needs.</summary>
    None,
    /// <summary>Reading the user object (directory).</summary>
    User,
    MailboxSettings,
    MailRead,
    MailWrite,
    MailSend,
    ContactsRead,
    ContactsWrite,
}

internal sealed record GraphRoute(string Method, string Template, GraphAccess Access, Func<GraphCall, Task<GraphResult>> Handler)
{
    public string[] Segments { get; } = Template.Trim('/').Split('/');
}

/// <summary>Matches Graph paths (case-insensitive, <c>name('key')</c> or <c>name/key</c>) against route templates with <c>{value}</c> segments.</summary>
internal sealed class GraphRouter(IEnumerable<GraphRoute> routes)
{
    private readonly List<GraphRoute> _routes = routes.ToList();

    public (GraphRoute Route, Dictionary<string, string> Values)? Match(string method, string[] segments, out bool pathKnown)
    {
        pathKnown = false;
        foreach (var route in _routes)
        {
            if (route.Segments.Length != segments.Length)
            {
                continue;
            }

            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            var ok = true;
            for (var i = 0; i < segments.Length && ok; i++)
            {
                var template = route.Segments[i];
                if (template.StartsWith('{'))
                {
                    values[template.Trim('{', '}')] = segments[i];
                }
                else
                {
                    ok = string.Equals(template, segments[i], StringComparison.OrdinalIgnoreCase);
                }
            }

            if (!ok)
            {
                continue;
            }

            pathKnown = true;
            if (string.Equals(route.Method, method, StringComparison.OrdinalIgnoreCase))
            {
                return (route, values);
            }
        }

        return null;
    }

    /// <summary>Splits a path into segments, turning OData key syntax <c>mailFolders('inbox')</c> into <c>mailFolders/inbox</c>.</summary>
    public static string[] Split(string path)
    {
        var segments = new List<string>();
        foreach (var raw in path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var open = raw.IndexOf('(', StringComparison.Ordinal);
            if (open > 0 && raw.EndsWith(')'))
            {
                segments.Add(raw[..open]);
                var key = raw[(open + 1)..^1].Trim('\'');
                if (key.Length > 0)
                {
                    segments.Add(key);
                }
            }
            else
            {
                segments.Add(raw);
            }
        }

        return segments.ToArray();
    }
}
