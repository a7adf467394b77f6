using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Cairn.Server;

/// <summary>
/// What the commands that talk to a running server share: the <c>--url</c> and <c>--api-key</c> options (defaults
/// CAIRN_URL and CAIRN_API_KEY), the authenticated client, and the one-line reading of a problem answer.
/// </summary>
internal sealed class ServerClient
{
    public Option<string> Url { get; } = new("--url") { Description = $"The Cairn server (default CAIRN_URL or {Settings.DefaultUrls})." };

    public Option<string> ApiKey { get; } = new("--api-key") { Description = "The API key (default CAIRN_API_KEY)." };

    /// <summary>The client for the server the options name; null (with the reason on stderr) when no API key is given.</summary>
    public HttpClient? Create(ParseResult result, string command)
    {
        ArgumentNullException.ThrowIfNull(result);
        if ((result.GetValue(ApiKey) ?? Settings.Environment("API_KEY")) is not { } key)
        {
            Console.Error.WriteLine($"cairn {command}: give --api-key or set CAIRN_API_KEY");
            return null;
        }

        var http = new HttpClient { BaseAddress = new Uri((result.GetValue(Url) ?? Settings.Environment("URL") ?? Settings.DefaultUrls).TrimEnd('/') + "/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    /// <summary>
    /// Sends a request (with <paramref name="body"/> as JSON when given) and reads the JSON answer (an empty one as
    /// <c>null</c>); on a refusal, prints it in one line as <c>cairn {command}: …</c> and returns null. Transport and JSON
    /// errors are the caller's to catch.
    /// </summary>
    public static async Task<JsonElement?> SendAsync(HttpClient http, HttpMethod method, string path, object? body, string command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        using var answer = JsonDocument.Parse(text.Length == 0 ? "null" : text);
        if (!response.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"cairn {command}: {Refusal(response, answer.RootElement)}");
            return null;
        }

        return answer.RootElement.Clone();
    }

    /// <summary>A refused request in one line: the status and the problem's detail (or the reason phrase).</summary>
    public static string Refusal(HttpResponseMessage response, JsonElement body)
    {
        ArgumentNullException.ThrowIfNull(response);
        var detail = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("detail", out var text) ? text.GetString() : response.ReasonPhrase;
        return $"{(int)response.StatusCode} {detail}";
    }
}
