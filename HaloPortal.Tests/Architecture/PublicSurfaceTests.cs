using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using HaloPortal.Engine;

namespace HaloPortal.Tests.Architecture;

/// <summary>
/// The engine's public surface is what its users need: every public engine type is named by the web host, the sandbox or the PostgreSQL
/// migrations assembly (read from their compiled metadata, so a type used through <c>var</c> or a lambda counts as used) or appears in
/// the public signature of one that is. Anything else is an implementation detail and belongs <c>internal</c>, where only the engine's own tests can reach it.
/// </summary>
public class PublicSurfaceTests
{
    private static readonly Assembly Engine = typeof(DependencyInjection).Assembly;

    /// <summary>
    /// Classes of constants the web host and the sandbox use: a constant is compiled into its user, so their metadata never names the class.
    /// Each is checked to be a static class whose only public data is constants (PortalRoutes also builds the engine's links from them).
    /// </summary>
    private static readonly Type[] ConstantHolders =
        [typeof(HaloPortal.Engine.Portal.PortalPolicies), typeof(HaloPortal.Engine.Portal.DeploymentMarkers), typeof(HaloPortal.Engine.Portal.PortalRoutes), typeof(HaloPortal.Engine.Outbound.ReplyLimits),
         typeof(HaloPortal.Engine.Telemetry.TelemetryNames)];

    /// <summary>dotnet-ef writes migrations as public classes; EF Core finds them whatever their access, so they are left as generated.</summary>
    private const string GeneratedMigrations = "HaloPortal.Engine.Data.Migrations";

    [Fact]
    public void Every_public_engine_type_is_needed_by_the_web_host_or_the_sandbox()
    {
        var needed = Needed();

        var surplus = Engine.GetExportedTypes()
            .Where(t => t.Namespace != GeneratedMigrations && !needed.Contains(Outermost(t)) && !ConstantHolders.Contains(t))
            .Select(t => t.FullName!)
            .Order()
            .ToList();

        Assert.True(surplus.Count == 0, "Public engine types that nothing outside the engine uses (make them internal):\n" + string.Join("\n", surplus));
    }

    [Fact]
    public void The_classes_of_constants_are_static_and_hold_no_other_data()
    {
        const BindingFlags declared = BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var others = ConstantHolders
            .SelectMany(t => t.GetFields(declared).Where(f => !f.IsLiteral).Select(f => $"{t.Name}.{f.Name}")
                .Concat(t.GetProperties(declared).Select(p => $"{t.Name}.{p.Name}"))
                .Concat(t is { IsAbstract: true, IsSealed: true } ? [] : [$"{t.Name} is not static"]))
            .ToList();

        Assert.Empty(others);
    }

    [Fact]
    public void The_web_host_is_read_for_the_engine_types_it_names()
    {
        // The test above is only as good as this reading: the web host names IMailboxes (injected into pages) and AddHaloEngine's class.
        var named = NamedByUsers();

        Assert.Contains(typeof(HaloPortal.Engine.Mailboxes.IMailboxes), named);
        Assert.Contains(typeof(DependencyInjection), named);
        Assert.DoesNotContain(typeof(HaloPortal.Engine.Mailboxes.MailboxService), named);
    }

    /// <summary>The engine types named by its users, and every public type reachable from their public signatures.</summary>
    private static HashSet<Type> Needed()
    {
        var needed = new HashSet<Type>();
        var queue = new Queue<Type>(NamedByUsers());
        while (queue.TryDequeue(out var type))
        {
            if (!needed.Add(type))
            {
                continue;
            }

            var shown = BoundaryTests.Signature(type, visibleOnly: true).Select(t => t.IsConstructedGenericType ? t.GetGenericTypeDefinition() : t);
            foreach (var used in shown.Select(Outermost).Where(t => t.Assembly == Engine && !needed.Contains(t)))
            {
                queue.Enqueue(used);
            }
        }

        return needed;
    }

    private static HashSet<Type> NamedByUsers()
    {
        // The web host, the sandbox, and the PostgreSQL migrations assembly (it configures the context at design time).
        var users = new[] { typeof(HaloPortal.Hosting.ApiExtensions).Assembly, typeof(HaloPortal.Sandbox.SandboxOptions).Assembly, Assembly.Load("HaloPortal.Engine.PostgreSql") };
        var named = new HashSet<Type>();
        foreach (var user in users)
        {
            using var pe = new PEReader(File.OpenRead(user.Location));
            var metadata = pe.GetMetadataReader();
            foreach (var handle in metadata.TypeReferences)
            {
                if (FullName(metadata, handle) is { } name && Engine.GetType(name) is { } type)
                {
                    named.Add(Outermost(type));
                }
            }
        }

        return named;
    }

    /// <summary>The CLR name of a type reference into the engine ("Ns.Outer+Inner"), or null when it points elsewhere.</summary>
    private static string? FullName(MetadataReader metadata, TypeReferenceHandle handle)
    {
        var reference = metadata.GetTypeReference(handle);
        var name = metadata.GetString(reference.Name);
        switch (reference.ResolutionScope.Kind)
        {
            case HandleKind.AssemblyReference:
                var assembly = metadata.GetAssemblyReference((AssemblyReferenceHandle)reference.ResolutionScope);
                return metadata.GetString(assembly.Name) == Engine.GetName().Name ? $"{metadata.GetString(reference.Namespace)}.{name}" : null;
            case HandleKind.TypeReference:
                return FullName(metadata, (TypeReferenceHandle)reference.ResolutionScope) is { } outer ? $"{outer}+{name}" : null;
            default:
                return null;
        }
    }

    private static Type Outermost(Type type) => type.DeclaringType is { } outer ? Outermost(outer) : type;
}
