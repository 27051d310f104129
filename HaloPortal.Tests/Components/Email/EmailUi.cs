using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;

namespace HaloPortal.Tests.Components.Email;

/// <summary>Small queries over the rendered email screens, by data-testid.</summary>
internal static class EmailUi
{
    public static IElement ByTestId<T>(this IRenderedComponent<T> cut, string testId) where T : IComponent =>
        cut.Find($"[data-testid='{testId}']");

    public static bool Has<T>(this IRenderedComponent<T> cut, string testId) where T : IComponent =>
        cut.FindAll($"[data-testid='{testId}']").Count > 0;

    public static bool IsDisabled(this IElement element) => element.HasAttribute("disabled");

    /// <summary>The permission names the Required permissions panel lists, in order.</summary>
    public static IReadOnlyList<string> Permissions<T>(this IRenderedComponent<T> cut) where T : IComponent =>
        cut.FindAll("[data-testid='required-permissions'] [data-testid='permission']").Select(e => e.GetAttribute("data-name")!).ToList();

    /// <summary>Every error and helper text under the fields.</summary>
    public static string FieldMessages<T>(this IRenderedComponent<T> cut) where T : IComponent =>
        string.Join("\n", cut.FindAll(".mud-input-helper-text").Select(e => e.TextContent.Trim()));

    public static bool HasFieldError<T>(this IRenderedComponent<T> cut, string testId) where T : IComponent =>
        cut.ByTestId(testId).GetAttribute("aria-invalid") == "true";
}
