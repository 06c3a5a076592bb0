namespace Vince.FeatureStore;

/// <summary>
/// Marks a section record of <see cref="FeatureRecord"/>. Its public properties are the only list of the section's
/// fields: the schema generator turns them into the fast reader's key table and read method
/// (<c>FeatureRecordReader.Read{Type}</c>) and the flattener's column table (<c>Flattening.SectionColumns</c>). A new
/// scalar property is read, written and flattened (as <c>prefix_key</c>) without any other edit.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class RecordSectionAttribute : Attribute;

/// <summary>
/// A section property whose column the flattener computes with a rule of its own (in <c>FeatureSchema</c>), so the
/// generated column table leaves it out.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
internal sealed class SpecialColumnAttribute : Attribute;
