using Microsoft.Extensions.Options;

namespace Vince.FeatureStore.Onnx.Hosting;

/// <summary>Validates <see cref="OnnxScoringOptions"/> when the host starts.</summary>
internal sealed class OnnxScoringOptionsValidator : IValidateOptions<OnnxScoringOptions>
{
    public ValidateOptionsResult Validate(string? name, OnnxScoringOptions options)
    {
        IReadOnlyList<string> errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => "VinceOnnxScoring: " + e));
    }
}
