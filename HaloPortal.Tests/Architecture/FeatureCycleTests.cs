namespace HaloPortal.Tests.Architecture;

/// <summary>
/// Dependencies between the engine's feature folders (what the types' declarations name, closures and state machines included)
/// must not form new cycles. <c>Data</c> is the hub that maps every entity and is left out. The cycles that exist today are listed
/// as known debt: the test fails on any other, so the list can only shrink.
/// </summary>
public class FeatureCycleTests
{
    /// <summary>Dependencies that sit on a cycle today ("From -> To"), to be removed one by one (publishers owning observer interfaces).</summary>
    private static readonly HashSet<string> KnownCycles =
    [
        "Credentials -> Graph", // CredentialConnections uses IGraphClients
        "Credentials -> Mailboxes", // CredentialConnections uses MailboxService
        "Credentials -> Tokens", // CredentialConnections uses MsalApplications
        "Graph -> Credentials", // IGraphClients uses MailboxCredential
        "Graph -> Tokens", // GraphClients uses ICredentialTokens
        "Mailboxes -> Credentials", // Mailbox uses MailboxCredential
        "Tokens -> Credentials", // ICredentialTokens uses MailboxCredential
    ];

    [Fact]
    public void No_dependency_between_features_closes_a_new_cycle()
    {
        var edges = Edges();
        var cyclic = edges.Keys.Where(e => Reaches(edges, e.To, e.From)).Select(e => $"{e.From} -> {e.To}").ToHashSet();

        var added = cyclic.Except(KnownCycles).Order().ToList();
        Assert.True(added.Count == 0, "New dependency cycles between features:\n" + string.Join("\n", added.Select(e => $"{e}: {Example(edges, e)}")));
    }

    [Fact]
    public void The_known_cycles_are_still_there()
    {
        var edges = Edges();
        var gone = KnownCycles.Where(known => !edges.Keys.Any(e => $"{e.From} -> {e.To}" == known && Reaches(edges, e.To, e.From))).ToList();

        Assert.True(gone.Count == 0, "These cycles are gone: remove them from KnownCycles so they cannot come back:\n" + string.Join("\n", gone));
    }

    private static Dictionary<(string From, string To), string> Edges()
    {
        var edges = new Dictionary<(string, string), string>();
        foreach (var type in BoundaryTests.EngineTypes())
        {
            var from = Feature(Outermost(type));
            if (from is null)
            {
                continue;
            }

            foreach (var used in BoundaryTests.Signature(type))
            {
                if (Feature(used) is { } to && to != from)
                {
                    edges.TryAdd((from, to), $"{Outermost(type).Name} uses {used.Name}");
                }
            }
        }

        return edges;
    }

    private static Type Outermost(Type type) => type.DeclaringType is { } outer ? Outermost(outer) : type;

    private static string? Feature(Type type) =>
        type.Namespace is { } ns && ns.StartsWith("HaloPortal.Engine.", StringComparison.Ordinal) && ns.Split('.')[2] is var feature && feature != "Data" ? feature : null;

    private static bool Reaches(Dictionary<(string From, string To), string> edges, string start, string goal)
    {
        var seen = new HashSet<string> { start };
        var queue = new Queue<string>([start]);
        while (queue.TryDequeue(out var at))
        {
            if (at == goal)
            {
                return true;
            }

            foreach (var next in edges.Keys.Where(e => e.From == at).Select(e => e.To).Where(seen.Add))
            {
                queue.Enqueue(next);
            }
        }

        return false;
    }

    private static string Example(Dictionary<(string From, string To), string> edges, string edge) =>
        edges.First(e => $"{e.Key.From} -> {e.Key.To}" == edge).Value;
}
