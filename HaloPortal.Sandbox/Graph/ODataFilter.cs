using System.Globalization;
using HaloPortal.Sandbox.Data;

namespace HaloPortal.Sandbox.Graph;

/// <summary>
/// The part of OData <c>$filter</c> and <c>$orderby</c> mail clients use: comparisons (eq, ne, gt, ge, lt, le) on dates,
/// booleans and strings, <c>and</c>/<c>or</c>/<c>not</c>, parentheses, and <c>startswith</c>/<c>contains</c> on text.
/// </summary>
internal static class ODataFilter
{
    public static Func<SbMessage, bool> Parse(string? filter)
    {
        if (string.IsNullOrWhiteSpace(filter))
        {
            return _ => true;
        }

        var parser = new Parser(Tokenize(filter));
        var predicate = parser.Or();
        if (!parser.AtEnd)
        {
            throw Invalid();
        }

        return predicate;
    }

    public static IEnumerable<SbMessage> OrderBy(IEnumerable<SbMessage> messages, string? orderBy)
    {
        if (string.IsNullOrWhiteSpace(orderBy))
        {
            return messages.OrderByDescending(m => m.ReceivedAt).ThenByDescending(m => m.ChangeSeq);
        }

        IOrderedEnumerable<SbMessage>? ordered = null;
        foreach (var clause in orderBy.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = clause.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var descending = parts.Length > 1 && parts[1].Equals("desc", StringComparison.OrdinalIgnoreCase);
            Func<SbMessage, IComparable?> key = parts[0].ToLowerInvariant() switch
            {
                "receiveddatetime" => m => m.ReceivedAt,
                "sentdatetime" => m => m.SentAt,
                "createddatetime" => m => m.CreatedAt,
                "lastmodifieddatetime" => m => m.LastModifiedAt,
                "subject" => m => m.Subject,
                "importance" => m => m.Importance,
                "isread" => m => m.IsRead,
                "from/emailaddress/address" => m => m.From?.Address,
                "from/emailaddress/name" => m => m.From?.Name,
                _ => throw new GraphRequestException(400, "ErrorInvalidProperty", $"The property '{parts[0]}' does not support sorting."),
            };
            ordered = ordered is null
                ? descending ? messages.OrderByDescending(key) : messages.OrderBy(key)
                : descending ? ordered.ThenByDescending(key) : ordered.ThenBy(key);
        }

        return ordered!.ThenBy(m => m.ChangeSeq);
    }

    private static GraphRequestException Invalid(string? detail = null) =>
        new(400, "ErrorInvalidUrlQueryFilter", detail ?? "The query filter contains one or more invalid nodes.");

    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c is '(' or ')' or ',')
            {
                tokens.Add(c.ToString());
                i++;
            }
            else if (c == '\'')
            {
                var sb = new System.Text.StringBuilder("'");
                i++;
                while (i < text.Length)
                {
                    if (text[i] == '\'' && i + 1 < text.Length && text[i + 1] == '\'')
                    {
                        sb.Append('\'');
                        i += 2;
                    }
                    else if (text[i] == '\'')
                    {
                        i++;
                        break;
                    }
                    else
                    {
                        sb.Append(text[i++]);
                    }
                }

                tokens.Add(sb.ToString());
            }
            else
            {
                var start = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('(' or ')' or ','))
                {
                    i++;
                }

                tokens.Add(text[start..i]);
            }
        }

        return tokens;
    }

    private sealed class Parser(List<string> tokens)
    {
        private int _position;

        public bool AtEnd => _position >= tokens.Count;

        public Func<SbMessage, bool> Or()
        {
            var left = And();
            while (Accept("or"))
            {
                var l = left;
                var r = And();
                left = m => l(m) || r(m);
            }

            return left;
        }

        private Func<SbMessage, bool> And()
        {
            var left = Unary();
            while (Accept("and"))
            {
                var l = left;
                var r = Unary();
                left = m => l(m) && r(m);
            }

            return left;
        }

        private Func<SbMessage, bool> Unary()
        {
            if (Accept("not"))
            {
                var inner = Unary();
                return m => !inner(m);
            }

            if (Accept("("))
            {
                var inner = Or();
                Expect(")");
                return inner;
            }

            var first = Next();
            if (first.Equals("startswith", StringComparison.OrdinalIgnoreCase) || first.Equals("contains", StringComparison.OrdinalIgnoreCase))
            {
                Expect("(");
                var property = Property(Next());
                Expect(",");
                var literal = Next();
                Expect(")");
                var text = literal.StartsWith('\'') ? literal[1..] : throw Invalid();
                var starts = first.Equals("startswith", StringComparison.OrdinalIgnoreCase);
                return m => property(m) is string s && (starts ? s.StartsWith(text, StringComparison.OrdinalIgnoreCase) : s.Contains(text, StringComparison.OrdinalIgnoreCase));
            }

            var left = Property(first);
            var op = Next().ToLowerInvariant();
            var right = Literal(Next());
            return op switch
            {
                "eq" => m => Compare(left(m), right) == 0,
                "ne" => m => Compare(left(m), right) != 0,
                "gt" => m => Compare(left(m), right) > 0,
                "ge" => m => Compare(left(m), right) >= 0,
                "lt" => m => Compare(left(m), right) < 0,
                "le" => m => Compare(left(m), right) <= 0,
                _ => throw Invalid(),
            };
        }

        private static Func<SbMessage, object?> Property(string name) => name.ToLowerInvariant() switch
        {
            "receiveddatetime" => m => m.ReceivedAt,
            "sentdatetime" => m => m.SentAt,
            "createddatetime" => m => m.CreatedAt,
            "lastmodifieddatetime" => m => m.LastModifiedAt,
            "isread" => m => m.IsRead,
            "isdraft" => m => m.IsDraft,
            "hasattachments" => m => m.HasAttachments,
            "subject" => m => m.Subject,
            "internetmessageid" => m => m.InternetMessageId,
            "conversationid" => m => m.ConversationId,
            "importance" => m => m.Importance,
            "parentfolderid" => m => m.FolderId,
            "from/emailaddress/address" => m => m.From?.Address,
            "sender/emailaddress/address" => m => m.Sender?.Address,
            "flag/flagstatus" => m => m.FlagStatus,
            _ => throw new GraphRequestException(400, "ErrorInvalidProperty", $"Could not find a property named '{name}' on type 'microsoft.graph.message'."),
        };

        private static object? Literal(string token)
        {
            if (token.StartsWith('\''))
            {
                return token[1..];
            }

            if (token.Equals("true", StringComparison.OrdinalIgnoreCase) || token.Equals("false", StringComparison.OrdinalIgnoreCase))
            {
                return bool.Parse(token);
            }

            if (token.Equals("null", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            if (DateTimeOffset.TryParse(token, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date) && token.Contains('-'))
            {
                return date;
            }

            if (long.TryParse(token, CultureInfo.InvariantCulture, out var number))
            {
                return number;
            }

            throw Invalid();
        }

        private static int Compare(object? left, object? right) => (left, right) switch
        {
            (null, null) => 0,
            (null, _) => -1,
            (_, null) => 1,
            (DateTimeOffset a, DateTimeOffset b) => a.CompareTo(b),
            (bool a, bool b) => a.CompareTo(b),
            (string a, string b) => string.Compare(a, b, StringComparison.OrdinalIgnoreCase),
            _ => throw Invalid("A binary operator with incompatible types was detected."),
        };

        private string Next() => _position < tokens.Count ? tokens[_position++] : throw Invalid();

        private bool Accept(string token)
        {
            if (_position < tokens.Count && tokens[_position].Equals(token, StringComparison.OrdinalIgnoreCase))
            {
                _position++;
                return true;
            }

            return false;
        }

        private void Expect(string token)
        {
            if (!Accept(token))
            {
                throw Invalid();
            }
        }
    }
}
