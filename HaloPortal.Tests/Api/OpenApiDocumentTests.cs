using System.Text.Json;
using HaloPortal.Tests.Infrastructure;

namespace HaloPortal.Tests.Api;

/// <summary>The OpenAPI document describes every JSON answer with a named schema a client generator can use.</summary>
public sealed class OpenApiDocumentTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    [Fact]
    public async Task Every_JSON_answer_of_the_API_has_a_named_schema_and_none_is_an_anonymous_type()
    {
        using var api = app.CreateApiClient(apiKey: null);
        var text = await api.GetStringAsync("/openapi/v1.json");
        using var document = JsonDocument.Parse(text);

        var unnamed = document.RootElement.GetProperty("components").GetProperty("schemas").EnumerateObject()
            .Select(s => s.Name).Where(name => name.Contains("AnonymousType", StringComparison.Ordinal)).Select(name => "schema " + name).ToList();
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject().Where(p => p.Name.StartsWith("/api/v1/", StringComparison.Ordinal)))
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                if (!operation.Value.TryGetProperty("responses", out var responses))
                {
                    continue;
                }

                foreach (var response in responses.EnumerateObject().Where(r => r.Name is "200" or "201" or "202"))
                {
                    if (response.Value.TryGetProperty("content", out var content) && content.TryGetProperty("application/json", out var json)
                        && !IsNamed(json.GetProperty("schema")))
                    {
                        unnamed.Add($"{operation.Name.ToUpperInvariant()} {path.Name} {response.Name}");
                    }
                }
            }
        }

        Assert.True(unnamed.Count == 0, "Answers without a named schema:\n" + string.Join('\n', unnamed));
    }

    private static bool IsNamed(JsonElement schema) =>
        schema.TryGetProperty("$ref", out _)
        || (schema.TryGetProperty("items", out var items) && IsNamed(items))
        || (schema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() is "string" or "integer" or "boolean");
}
