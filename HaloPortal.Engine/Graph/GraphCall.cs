using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Tokens;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;

namespace HaloPortal.Engine.Graph;

/// <summary>Runs a Graph SDK call and turns its failures into catalogued <see cref="CredentialException"/>s.</summary>
internal static class GraphCall
{
    public static async Task<T> RunAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (ODataError ex)
        {
            throw new CredentialException(KnownErrors.FromGraphError(ex.ResponseStatusCode, ex.Error?.Code, ex.Error?.Message), ex)
            {
                RetryAfter = RetryAfter(ex),
            };
        }
        catch (ApiException ex)
        {
            throw new CredentialException(KnownErrors.FromGraphError(ex.ResponseStatusCode, null, ex.Message), ex) { RetryAfter = RetryAfter(ex) };
        }
        catch (AggregateException ex) when (ex.InnerExceptions.LastOrDefault() is ApiException last)
        {
            // Graph's retry handler gave up: report the last answer (throttling or a server error: transient).
            var code = last is ODataError odata ? odata.Error?.Code : null;
            throw new CredentialException(KnownErrors.FromGraphError(last.ResponseStatusCode, code, last.Message), ex) { RetryAfter = RetryAfter(last) };
        }
        catch (HttpRequestException ex)
        {
            throw new CredentialException(KnownErrors.Find("ServiceUnavailable")! with { Message = $"Microsoft Graph could not be reached: {ex.Message}" }, ex);
        }
    }

    public static async Task RunAsync(Func<Task> call) => await RunAsync(async () =>
    {
        await call();
        return true;
    });

    private static TimeSpan? RetryAfter(ApiException ex) =>
        ex.ResponseHeaders.TryGetValue("Retry-After", out var values) && int.TryParse(values.FirstOrDefault(), out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;
}
