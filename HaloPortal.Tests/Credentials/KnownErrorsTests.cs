using HaloPortal.Engine.Errors;

namespace HaloPortal.Tests.Credentials;

public sealed class KnownErrorsTests
{
    [Theory]
    [InlineData("AADSTS7000215", "Secret ID")]
    [InlineData("AADSTS7000222", "expired")]
    [InlineData("AADSTS700016", "Application not found")]
    [InlineData("AADSTS700027", "Certificate not registered")]
    [InlineData("AADSTS9002313", "malformed")]
    [InlineData("AADSTS50011", "Redirect URI")]
    [InlineData("AADSTS65001", "Consent")]
    [InlineData("AADSTS70008", "expired")]
    [InlineData("AADSTS700082", "inactivity")]
    [InlineData("AADSTS9002325", "PKCE")]
    public void Every_token_error_of_the_design_is_catalogued_with_a_fix(string code, string titleFragment)
    {
        var error = KnownErrors.FromTokenError("invalid_client", $"{code}: something went wrong.\r\nTrace ID: x");

        Assert.Equal(code, error.Code);
        Assert.Contains(titleFragment, error.Title, StringComparison.OrdinalIgnoreCase);
        Assert.False(string.IsNullOrWhiteSpace(error.Fix));
    }

    [Fact]
    public void Error_codes_array_wins_over_the_text()
    {
        var error = KnownErrors.FromTokenError("invalid_client", "unrelated text", [7000222]);

        Assert.Equal("AADSTS7000222", error.Code);
    }

    [Fact]
    public void An_uncatalogued_grant_failure_still_asks_for_reauthorisation()
    {
        var error = KnownErrors.FromTokenError("invalid_grant", "AADSTS12345: unheard of");

        Assert.Equal(ErrorKind.Reauthorise, error.Kind);
    }

    [Theory]
    [InlineData(403, "ErrorAccessDenied", ErrorKind.Permission)]
    [InlineData(404, "ErrorInvalidUser", ErrorKind.Configuration)]
    [InlineData(400, "MailboxNotEnabledForRESTAPI", ErrorKind.Configuration)]
    [InlineData(429, null, ErrorKind.Transient)]
    [InlineData(503, null, ErrorKind.Transient)]
    public void Graph_errors_are_recognised(int status, string? code, ErrorKind kind)
    {
        Assert.Equal(kind, KnownErrors.FromGraphError(status, code, "message").Kind);
    }
}
