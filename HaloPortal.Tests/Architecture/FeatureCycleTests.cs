namespace HaloPortal.Tests.Architecture;

/// <summary>
/// Dependencies between the engine's feature folders (what the types' declarations name, closures and state machines included)
/// form no cycle. <c>Data</c> is the hub that maps every entity and is left out. Where two features need each other, the publisher
/// owns an interface the other implements (<c>ICredentialOwners</c>, <c>ICredentialStatusObserver</c>, <c>NewTicketObserver</c>).
/// </summary>
public class FeatureCycleTests
{
    [Fact]
    public void No_dependency_between_features_closes_a_cycle()
    {
        var edges = Edges();

        var cyclic = Cyclic(edges);

        Assert.True(cyclic.Count == 0, "Dependency cycles between features:\n" + string.Join("\n", cyclic.Select(e => $"{e}: {Example(edges, e)}")));
    }

    [Fact]
    public void A_dependency_back_to_a_feature_that_uses_it_is_caught()
    {
        // As the credentials once did: the connection test (then in Credentials) used Graph, and Graph's clients took the credential.
        var edges = Edges();
        Assert.True(edges.ContainsKey(("Graph", "Credentials")), "The example needs Graph to use Credentials.");

        edges[("Credentials", "Graph")] = "CredentialConnections uses IGraphClients";

        Assert.Contains("Credentials -> Graph", Cyclic(edges));
        Assert.Contains("Graph -> Credentials", Cyclic(edges));
    }

    private static List<string> Cyclic(Dictionary<(string From, string To), string> edges) =>
        edges.Keys.Where(e => Reaches(edges, e.To, e.From)).Select(e => $"{e.From} -> {e.To}").Order().ToList();

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
