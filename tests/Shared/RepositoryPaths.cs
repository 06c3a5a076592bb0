using System.Reflection;

namespace Vince.FeatureStore.Testing;

/// <summary>Finds programs of this repository built alongside the tests (same configuration). Shared by the test projects.</summary>
public static class RepositoryPaths
{
    public static string Root()
    {
        DirectoryInfo? dir = new(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Vince.FeatureStore.sln")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        return dir!.FullName;
    }

    /// <summary>The built dll of the project in <paramref name="projectDirectory"/> (relative to the root).</summary>
    public static string BuiltDll(string projectDirectory, string assemblyName)
    {
        string configuration = typeof(RepositoryPaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        string path = Path.Combine(Root(), projectDirectory, "bin", configuration, "net10.0", assemblyName + ".dll");
        Assert.True(File.Exists(path), $"Build the solution first: {path} is missing.");
        return path;
    }
}
