using System.Collections.Concurrent;
using Cairn.Runtime.Storage;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Cairn.Messaging;

/// <summary>A send that failed: <see cref="Permanent"/> failures (a 5xx reply: unknown mailbox, rejected) are not retried.</summary>
public sealed class EmailSendException : Exception
{
    public EmailSendException()
    {
    }

    public EmailSendException(string message)
        : base(message)
    {
    }

    public EmailSendException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public EmailSendException(string message, bool permanent, Exception? inner = null)
        : base(message, inner) => Permanent = permanent;

    /// <summary>True when retrying cannot help (a hard bounce at send time).</summary>
    public bool Permanent { get; }
}

/// <summary>Where composed email goes.</summary>
public interface IEmailTransport : IAsyncDisposable
{
    /// <summary>A name for the message record (<c>smtp</c>, <c>mailbox</c>).</summary>
    string Name { get; }

    /// <summary>Hands the message over; throws <see cref="EmailSendException"/> when it was not accepted.</summary>
    Task SendAsync(string messageId, MimeMessage message, CancellationToken cancellationToken);
}

/// <summary>The development default: email is stored whole in the database and read at <c>GET /api/dev/mailbox</c>.</summary>
public sealed class MailboxTransport(IRecipientStore store, TimeProvider time) : IEmailTransport
{
    /// <inheritdoc />
    public string Name => "mailbox";

    /// <inheritdoc />
    public async Task SendAsync(string messageId, MimeMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var raw = new MemoryStream();
        await message.WriteToAsync(raw, cancellationToken).ConfigureAwait(false);
        var recipient = message.To.Mailboxes.First().Address;
        await store.AddToMailboxAsync(new MailboxMessage(messageId, "email", recipient, message.Subject ?? string.Empty, System.Text.Encoding.UTF8.GetString(raw.ToArray()), time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// SMTP through MailKit: a pool of up to <see cref="SmtpOptions.MaxConnections"/> authenticated connections reused
/// across messages, a token bucket that keeps to the relay's sending rate, TLS as configured. A 5xx reply is a
/// permanent failure (hard bounce); a 4xx reply, a dropped connection or a timeout is transient.
/// </summary>
public sealed class SmtpTransport : IEmailTransport
{
    private readonly SmtpOptions _options;
    private readonly ConcurrentBag<SmtpClient> _idle = [];
    private readonly RateGate _gate;

    public SmtpTransport(SmtpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Host);
        _options = options;
        _gate = new RateGate(options.RatePerSecond, options.MaxConnections);
    }

    /// <inheritdoc />
    public string Name => "smtp";

    /// <inheritdoc />
    public async Task SendAsync(string messageId, MimeMessage message, CancellationToken cancellationToken)
    {
        using var slot = await _gate.EnterAsync(cancellationToken).ConfigureAwait(false);
        SmtpClient? client = null;
        try
        {
            client = await ConnectedAsync(cancellationToken).ConfigureAwait(false);
            await client.SendAsync(message, cancellationToken).ConfigureAwait(false);
            _idle.Add(client);
            client = null;
        }
        catch (SmtpCommandException exception)
        {
            var code = (int)exception.StatusCode;
            throw new EmailSendException($"SMTP {code}: {exception.Message.Trim()}", permanent: code >= 500, exception);
        }
        catch (Exception exception) when (exception is SmtpProtocolException or ServiceNotConnectedException or IOException or System.Net.Sockets.SocketException or TimeoutException or AuthenticationException or SslHandshakeException)
        {
            throw new EmailSendException($"SMTP: {exception.Message.Trim()}", permanent: false, exception);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EmailSendException("SMTP: timed out", permanent: false);
        }
        finally
        {
            if (client is not null)
            {
                await CloseAsync(client).ConfigureAwait(false);
            }
        }
    }

    private async Task<SmtpClient> ConnectedAsync(CancellationToken cancellationToken)
    {
        while (_idle.TryTake(out var pooled))
        {
            if (pooled.IsConnected)
            {
                return pooled;
            }

            pooled.Dispose();
        }

        var client = new SmtpClient { Timeout = (int)_options.Timeout.TotalMilliseconds };
        try
        {
            var security = _options.Security switch
            {
                SmtpSecurity.None => SecureSocketOptions.None,
                SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
                SmtpSecurity.Tls => SecureSocketOptions.SslOnConnect,
                _ => SecureSocketOptions.Auto,
            };
            await client.ConnectAsync(_options.Host!, _options.Port, security, cancellationToken).ConfigureAwait(false);
            if (_options.User is { Length: > 0 } user)
            {
                await client.AuthenticateAsync(user, _options.Password ?? string.Empty, cancellationToken).ConfigureAwait(false);
            }

            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private static async Task CloseAsync(SmtpClient client)
    {
        try
        {
            if (client.IsConnected)
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await client.DisconnectAsync(true, quick.Token).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or SmtpProtocolException or ServiceNotConnectedException)
        {
            // The connection is being thrown away; how it ends does not matter.
        }
        finally
        {
            client.Dispose();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        while (_idle.TryTake(out var client))
        {
            await CloseAsync(client).ConfigureAwait(false);
        }

        _gate.Dispose();
    }
}
