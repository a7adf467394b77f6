using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cairn.Testing;

namespace Cairn.Http.Tests.EndToEnd;

/// <summary>
/// Erasure as an auditor checks it: the real server on a real SQLite data directory, the person erased through the API or
/// <c>cairn erase</c>, then every byte of every file in the data directory searched for the person's identifiers — while
/// the server still runs, and after it is stopped as an operator stops it.
/// </summary>
public sealed class ErasureOnDiskTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("DELETE /api/contacts/{id}")]
    [InlineData("cairn erase --email")]
    public async Task ErasedPerson_NoFileOfTheDataDirectory_HoldsTheirIdentifiers_WhileRunningOrAfterStop(string how)
    {
        await using var server = await CairnProcess.StartAsync(null);
        var run = Guid.NewGuid().ToString("N")[..8];
        var person = new Person($"quintrell-{run}", $"zelda.quintrell.{run}@example.com", "+1415" + Random.Shared.Next(2_000_000, 9_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture), $"Zeldarine{run}");

        // A welcome journey sends her an email and an SMS that show her first name (the development mailbox keeps both).
        await PutAsync(server, "templates/welcome-mail", "kind: template\nid: welcome-mail\nchannel: email\nsubject: \"Welcome, {{ contact.first_name }}\"\ntext: \"Hello {{ contact.first_name }}, we will write to {{ contact.email }}.\"\nsample: { contact: { first_name: Sam, email: sam@example.com } }");
        await PutAsync(server, "templates/welcome-sms", "kind: template\nid: welcome-sms\nchannel: sms\ntext: \"Hi {{ contact.first_name }}, your code is 4711.\"\nsample: { contact: { first_name: Sam } }");
        await PutAsync(server, "journeys/welcome", "id: welcome\nname: Welcome\ncategory: transactional\ntrigger: { event: signed_up }\nsteps:\n  - id: mail\n    send: { channel: email, template: welcome-mail }\n    next: sms\n  - id: sms\n    send: { channel: sms, template: welcome-sms }\n    next: done\n  - id: done\n    exit: true\n");
        using (var publish = await server.Admin.PostAsync("/api/journeys/welcome/publish", null, Cancel))
        {
            Assert.True(publish.IsSuccessStatusCode, await publish.Content.ReadAsStringAsync(Cancel));
        }

        // Other people share the pages her rows live on, before and after her.
        await SendOthersAsync(server, run, 0, 40);
        foreach (var message in person.Messages())
        {
            using var response = await server.Client.PostAsJsonAsync("/v1/batch", new { batch = new[] { message } }, Cancel);
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Cancel));
        }

        await SendOthersAsync(server, run, 40, 80);
        var contactId = (await server.Admin.GetFromJsonAsync<JsonElement>($"/api/contacts/lookup?userId={person.UserId}", Cancel)).GetProperty("id").GetString()!;
        await WaitForMailboxAsync(server, person);

        // The scan sees her before the erasure (the search works, and her data was on disk).
        Assert.NotEmpty(Scan(server.DataDirectory, person));

        if (how.StartsWith("DELETE", StringComparison.Ordinal))
        {
            using var erased = await server.Admin.DeleteAsync($"/api/contacts/{contactId}?reason=ticket%2042", Cancel);
            Assert.True(erased.StatusCode == HttpStatusCode.OK, await erased.Content.ReadAsStringAsync(Cancel));
        }
        else
        {
            var (code, output) = await ProcessRunner.RunAsync(
                "dotnet",
                [Path.Combine(AppContext.BaseDirectory, "cairn.dll"), "erase", "--email", person.Email, "--reason", "ticket 42", "--url", server.Url, "--api-key", CairnProcess.ApiKey],
                cancellationToken: Cancel);
            Assert.True(code == 0, output);
            Assert.Contains($"Erased contact {contactId}:", output, StringComparison.Ordinal);
        }

        using (var gone = await server.Admin.GetAsync($"/api/contacts/lookup?userId={person.UserId}", Cancel))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        // While the server runs: nothing in cairn.db, its WAL or its shared-memory index.
        var running = Scan(server.DataDirectory, person);
        Assert.True(running.Count == 0, "while running, found " + string.Join("; ", running));

        // The others are still there, and the server keeps working.
        await SendOthersAsync(server, run, 80, 90);
        Assert.Equal(HttpStatusCode.OK, (await server.Admin.GetAsync($"/api/contacts/lookup?userId=other-{run}-85", Cancel)).StatusCode);

        // After a stop (SIGTERM), as an operator would stop it before copying or inspecting the directory.
        var exitCode = await server.TerminateAsync();
        Assert.True(exitCode == 0, $"cairn exited with {exitCode} on SIGTERM:\n{server.Output}");
        var stopped = Scan(server.DataDirectory, person);
        Assert.True(stopped.Count == 0, "after stop, found " + string.Join("; ", stopped));
        Assert.Contains(Directory.GetFiles(server.DataDirectory), file => Path.GetFileName(file) == "cairn.db");
    }

    /// <summary>The person: identifiers chosen so that no other byte sequence on disk can match them by chance.</summary>
    private sealed record Person(string UserId, string Email, string Phone, string FirstName)
    {
        public IEnumerable<object> Messages()
        {
            var traits = new Dictionary<string, object> { ["email"] = Email, ["phone"] = Phone, ["first_name"] = FirstName, ["plan"] = "pro" };
            yield return new { type = "page", anonymousId = "anon-" + UserId, name = "Pricing", properties = new { path = "/pricing" } };
            yield return new { type = "identify", userId = UserId, anonymousId = "anon-" + UserId, traits };
            yield return new { type = "track", userId = UserId, @event = "Profile Updated", properties = new { email = Email, phone = Phone, first_name = FirstName } };
            yield return new { type = "track", userId = UserId, @event = "signed_up", properties = new { contact = $"{FirstName} <{Email}>", callback = Phone } };
        }

        /// <summary>What must not be on disk: each identifier as sent, as JSON escapes it, and its distinctive core.</summary>
        public IEnumerable<(string Name, string Text)> Needles()
        {
            foreach (var (name, value) in new[] { ("userId", UserId), ("email", Email), ("phone", Phone), ("first name", FirstName) })
            {
                yield return (name, value);
                yield return (name + " (JSON-escaped)", JsonSerializer.Serialize(value)[1..^1]);
            }

            // The search text (and the trait index, which lower-cases values) holds the name lower-cased.
            yield return ("first name (lower-case)", FirstName.ToLowerInvariant());
            yield return ("email local part", Email[..Email.IndexOf('@', StringComparison.Ordinal)]);
            yield return ("phone digits", Phone[2..]);
        }
    }

    /// <summary>Every occurrence of the person's identifiers, in UTF-8, UTF-16LE and UTF-16BE, in every file under <paramref name="directory"/>.</summary>
    private static List<string> Scan(string directory, Person person)
    {
        var encodings = new (string Name, Encoding Encoding)[] { ("UTF-8", new UTF8Encoding(false)), ("UTF-16LE", new UnicodeEncoding(false, false)), ("UTF-16BE", new UnicodeEncoding(true, false)) };
        var found = new List<string>();
        foreach (var file in Directory.GetFiles(directory, "*", SearchOption.AllDirectories))
        {
            byte[] bytes;
            using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var copy = new MemoryStream())
            {
                stream.CopyTo(copy);
                bytes = copy.ToArray();
            }

            foreach (var (needle, text) in person.Needles().DistinctBy(needle => needle.Text))
            {
                foreach (var (encodingName, encoding) in encodings)
                {
                    var offset = bytes.AsSpan().IndexOf(encoding.GetBytes(text));
                    if (offset >= 0)
                    {
                        found.Add($"{needle} ({encodingName}) in {Path.GetFileName(file)} at byte {offset}");
                    }
                }
            }
        }

        return found;
    }

    private static async Task SendOthersAsync(CairnProcess server, string run, int from, int to)
    {
        var batch = Enumerable.Range(from, to - from).SelectMany(n => new object[]
        {
            new { type = "identify", userId = $"other-{run}-{n}", traits = new { email = $"other{n}.{run}@example.org", first_name = $"Other{n}", phone = "+1212555" + (1000 + n).ToString(System.Globalization.CultureInfo.InvariantCulture) } },
            new { type = "track", userId = $"other-{run}-{n}", @event = "Profile Updated", properties = new { email = $"other{n}.{run}@example.org", note = new string('x', 200) } },
        });
        using var response = await server.Client.PostAsJsonAsync("/v1/batch", new { batch }, Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Cancel));
    }

    private static async Task WaitForMailboxAsync(CairnProcess server, Person person)
    {
        // The dispatcher looks for due messages at least once a second; wait until both are in the development mailbox.
        var mailbox = default(JsonElement);
        await Eventually.HoldsAsync(
            async () =>
            {
                mailbox = await server.Admin.GetFromJsonAsync<JsonElement>("/api/dev/mailbox", Cancel);
                var recipients = mailbox.GetProperty("messages").EnumerateArray().Select(message => message.GetProperty("to").GetString()).ToHashSet();
                return recipients.Contains(person.Email) && recipients.Contains(person.Phone);
            },
            TimeSpan.FromSeconds(60),
            () => "the welcome messages were not sent: " + mailbox + "\n" + server.Output,
            Cancel);
    }

    private static async Task PutAsync(CairnProcess server, string path, string yaml)
    {
        using var response = await server.Admin.PutAsync("/api/" + path, new StringContent(yaml, Encoding.UTF8, "application/yaml"), Cancel);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Cancel));
    }
}
