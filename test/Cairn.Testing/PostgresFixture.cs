using System.Globalization;
using Npgsql;
using Xunit;

namespace Cairn.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster for a test assembly (register with
/// <c>[assembly: AssemblyFixture(typeof(PostgresFixture))]</c>). It starts lazily, on the first test that asks for
/// a database, from the server binaries of Debian's <c>postgresql</c> package (as the <c>postgres</c> user when
/// running as root), on a free loopback port in a temporary directory that is removed afterwards. When
/// <c>CAIRN_TEST_POSTGRES</c> holds a connection string, that server is used instead.
/// </summary>
public sealed class PostgresFixture : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _adminConnectionString;
    private string? _clusterDirectory;
    private string? _binDirectory;
    private bool _started;
    private int _databases;

    /// <summary>Why PostgreSQL is unavailable, once a start was attempted and failed; null otherwise.</summary>
    public string? UnavailableReason { get; private set; }

    /// <summary>True on CI, where a missing PostgreSQL is a failure, not a skip.</summary>
    public static bool OnCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Starts PostgreSQL if needed; skips the test when it cannot run (fails instead on CI).</summary>
    public async Task SkipIfUnavailableAsync()
    {
        await EnsureStartedAsync().ConfigureAwait(false);
        if (UnavailableReason is { } reason)
        {
            if (OnCi)
            {
                throw new InvalidOperationException("PostgreSQL is required on CI: " + reason);
            }

            Assert.Skip("PostgreSQL is not available: " + reason);
        }
    }

    /// <summary>Creates a fresh, empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken)
    {
        await SkipIfUnavailableAsync().ConfigureAwait(false);
        var name = "cairn_test_" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "_" + Interlocked.Increment(ref _databases).ToString(CultureInfo.InvariantCulture);
        await using (var connection = new NpgsqlConnection(_adminConnectionString))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = name, Pooling = true }.ToString();
    }

    private async Task EnsureStartedAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_started)
            {
                return;
            }

            _started = true;
            try
            {
                _adminConnectionString = Environment.GetEnvironmentVariable("CAIRN_TEST_POSTGRES") is { Length: > 0 } given
                    ? given
                    : await StartClusterAsync().ConfigureAwait(false);
                await using var connection = new NpgsqlConnection(_adminConnectionString);
                await connection.OpenAsync().ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is InvalidOperationException or NpgsqlException or IOException or System.ComponentModel.Win32Exception)
            {
                UnavailableReason = exception.Message;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<string> StartClusterAsync()
    {
        _binDirectory = FindBinaries() ?? throw new InvalidOperationException(
            "no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or on PATH; install the 'postgresql' package or set CAIRN_TEST_POSTGRES");
        _clusterDirectory = Path.Combine(Path.GetTempPath(), "cairn-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_clusterDirectory);
        var data = Path.Combine(_clusterDirectory, "data");
        var port = ProcessRunner.FreeLoopbackPort();
        if (IsRoot)
        {
            await RunAsync("chown", ["-R", "postgres:postgres", _clusterDirectory], asPostgres: false).ConfigureAwait(false);
        }

        await RunAsync(Path.Combine(_binDirectory, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"], IsRoot).ConfigureAwait(false);
        await RunAsync(
            Path.Combine(_binDirectory, "pg_ctl"),
            ["-D", data, "-l", Path.Combine(_clusterDirectory, "server.log"), "-w", "-t", "60", "-o",
                $"-p {port} -k {_clusterDirectory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                "start"],
            IsRoot).ConfigureAwait(false);
        return $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false;Timeout=30";
    }

    private static bool IsRoot => string.Equals(Environment.UserName, "root", StringComparison.Ordinal);

    private static string? FindBinaries()
    {
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(version => Path.Combine(version, "bin"))
                .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var major) ? major : 0)
            : Enumerable.Empty<string>();
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator);
        return candidates.Concat(onPath).FirstOrDefault(bin => File.Exists(Path.Combine(bin, "initdb")) && File.Exists(Path.Combine(bin, "pg_ctl")));
    }

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments, bool asPostgres)
    {
        var (exitCode, output) = asPostgres
            ? await ProcessRunner.RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments]).ConfigureAwait(false)
            : await ProcessRunner.RunAsync(program, arguments).ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} exited with {exitCode}: {output.Trim()}");
        }
    }

    /// <summary>Stops the cluster and removes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_clusterDirectory is not null && _binDirectory is not null)
        {
            try
            {
                await RunAsync(Path.Combine(_binDirectory, "pg_ctl"), ["-D", Path.Combine(_clusterDirectory, "data"), "-m", "immediate", "-w", "stop"], IsRoot).ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                // The cluster is already down; removing its directory is all that is left.
            }

            Directory.Delete(_clusterDirectory, recursive: true);
        }

        _gate.Dispose();
    }
}
