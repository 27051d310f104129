namespace HaloPortal.Engine.Audit;

/// <summary>Who made a change: a signed-in person, an API key, or the engine itself.</summary>
public sealed record Actor(ActorKind Kind, string Name)
{
    public static readonly Actor System = new(ActorKind.System, "system");

    public static Actor User(string name) => new(ActorKind.User, name);

    public static Actor ApiKey(string name) => new(ActorKind.ApiKey, name);

    public override string ToString() => Kind switch
    {
        ActorKind.User => Name,
        ActorKind.ApiKey => $"API key '{Name}'",
        _ => Name,
    };
}

public enum ActorKind
{
    System,
    User,
    ApiKey,
}
