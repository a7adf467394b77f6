using Cairn.Testing;

[assembly: AssemblyFixture(typeof(PostgresFixture))]
