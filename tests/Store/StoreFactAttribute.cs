using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Replayer.Tests.Store;

/// <summary>Marks a test class that needs the PostgreSQL server of <see cref="PostgresServer"/>.</summary>
public interface INeedsPostgres;

/// <summary>
/// A fact of a store test. The contract is written once, in an abstract class, and run by one
/// subclass per backend; when the subclass needs PostgreSQL and it is not installed (outside CI
/// only), its facts are skipped with the reason rather than failed.
/// </summary>
[XunitTestCaseDiscoverer("Replayer.Tests.Store.StoreFactDiscoverer", "Replayer.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class StoreFactAttribute : FactAttribute;

public sealed class StoreFactDiscoverer(IMessageSink sink) : FactDiscoverer(sink)
{
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions options, ITestMethod method, IAttributeInfo fact)
    {
        if (typeof(INeedsPostgres).IsAssignableFrom(method.TestClass.Class.ToRuntimeType()) && PostgresServer.Unavailable is { } why)
            return new SkippedStoreTestCase(DiagnosticMessageSink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), method, why);
        return base.CreateTestCase(options, method, fact);
    }
}

/// <summary>A test case skipped for a reason known only when the tests are discovered.</summary>
public sealed class SkippedStoreTestCase : XunitTestCase
{
    private string _reason = "";

    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public SkippedStoreTestCase() { }

    public SkippedStoreTestCase(IMessageSink sink, TestMethodDisplay display, TestMethodDisplayOptions displayOptions, ITestMethod method, string reason)
        : base(sink, display, displayOptions, method)
    {
        _reason = reason;
    }

    protected override string GetSkipReason(IAttributeInfo factAttribute) => _reason;

    public override void Serialize(IXunitSerializationInfo data)
    {
        base.Serialize(data);
        data.AddValue("Reason", _reason);
    }

    public override void Deserialize(IXunitSerializationInfo data)
    {
        _reason = data.GetValue<string>("Reason");
        base.Deserialize(data);
    }
}
