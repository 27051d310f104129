using System.Reflection;
using HaloPortal.Engine;

namespace HaloPortal.Tests.Architecture;

/// <summary>
/// The engine knows nothing of the sandbox tenant: the sandbox plugs into the engine's seams (IAuthorities, IHostRouter,
/// IPublicAddressFallback, IDeployment, the public mailbox and credential services), never the reverse. Names of the public contract
/// such as GraphAuthority.Sandbox and KnownErrors.SandboxDisabled are values, not types, and are allowed.
/// </summary>
public class BoundaryTests
{
    private const string SandboxAssembly = "HaloPortal.Sandbox";

    private static readonly Assembly Engine = typeof(DependencyInjection).Assembly;

    [Fact]
    public void Engine_does_not_reference_the_sandbox_assembly()
    {
        var references = Engine.GetReferencedAssemblies().Select(a => a.Name).ToList();

        Assert.DoesNotContain(references, name => name is not null && (name == SandboxAssembly || name.StartsWith(SandboxAssembly + ".", StringComparison.Ordinal)));
    }

    [Fact]
    public void Engine_types_use_no_type_of_the_sandbox()
    {
        var uses = (from type in EngineTypes()
                    from used in Signature(type)
                    where IsSandbox(used)
                    select $"{type.FullName} uses {used.FullName}").Distinct().ToList();

        Assert.Empty(uses);
    }

    [Fact]
    public void The_web_host_sees_only_the_public_surface_of_the_engine_and_the_sandbox()
    {
        var sandbox = typeof(HaloPortal.Sandbox.SandboxOptions).Assembly;
        var grants = new[] { Engine, sandbox }
            .SelectMany(a => a.GetCustomAttributes<System.Runtime.CompilerServices.InternalsVisibleToAttribute>().Select(g => $"{a.GetName().Name} -> {g.AssemblyName}"))
            .ToList();

        Assert.DoesNotContain(grants, g => g.EndsWith("-> HaloPortal", StringComparison.Ordinal));
    }

    [Fact]
    public void Engine_has_no_type_in_a_Sandbox_namespace()
    {
        var misplaced = EngineTypes()
            .Where(t => t.Namespace is { } ns && ns.Split('.').Contains("Sandbox", StringComparer.Ordinal))
            .Select(t => t.FullName)
            .ToList();

        Assert.Empty(misplaced);
    }

    internal static Type[] EngineTypes()
    {
        try
        {
            return Engine.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            return ex.Types.OfType<Type>().ToArray();
        }
    }

    private static bool IsSandbox(Type type) =>
        type.Assembly.GetName().Name is { } name && (name == SandboxAssembly || name.StartsWith(SandboxAssembly + ".", StringComparison.Ordinal))
        || type.Namespace is { } ns && (ns == SandboxAssembly || ns.StartsWith(SandboxAssembly + ".", StringComparison.Ordinal));

    /// <summary>
    /// Every type a type's declaration names: base type, interfaces, attributes, and the types of its members' signatures. With
    /// <paramref name="visibleOnly"/>, only what it shows to other assemblies: public and protected members and public nested types.
    /// </summary>
    internal static IEnumerable<Type> Signature(Type type, bool visibleOnly = false)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var named = new List<Type>();
        if (type.BaseType is { } baseType)
        {
            named.Add(baseType);
        }

        named.AddRange(type.GetInterfaces());
        named.AddRange(visibleOnly
            ? type.GetNestedTypes().Where(n => n.IsNestedPublic)
            : type.GetCustomAttributesData().Select(a => a.AttributeType));
        named.AddRange(type.GetFields(all).Where(f => !visibleOnly || f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly).Select(f => f.FieldType));
        named.AddRange(type.GetProperties(all).Where(p => Shown(p.GetMethod)).Select(p => p.PropertyType));
        named.AddRange(type.GetEvents(all).Where(e => Shown(e.AddMethod)).Select(e => e.EventHandlerType).OfType<Type>());
        foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)).Where(Shown))
        {
            named.AddRange(method.GetParameters().Select(p => p.ParameterType));
            if (method is MethodInfo info)
            {
                named.Add(info.ReturnType);
            }
        }

        return named.SelectMany(Unwrap);

        bool Shown(MethodBase? member) => !visibleOnly || member is { IsPublic: true } or { IsFamily: true } or { IsFamilyOrAssembly: true };
    }

    /// <summary>A type with its element and generic argument types (<c>IOptions&lt;SandboxOptions&gt;[]</c> names SandboxOptions).</summary>
    private static IEnumerable<Type> Unwrap(Type type)
    {
        yield return type;
        if (type.HasElementType && type.GetElementType() is { } element)
        {
            foreach (var inner in Unwrap(element))
            {
                yield return inner;
            }
        }

        if (type.IsGenericType)
        {
            foreach (var inner in type.GetGenericArguments().SelectMany(Unwrap))
            {
                yield return inner;
            }
        }
    }
}
