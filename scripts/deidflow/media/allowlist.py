"""Tags exiftool may report in a released media file: structure only (sizes, codecs, timing), nothing about who,
where or when. Keys are exiftool family-1 groups (Track1, Track2... read as Track); anything else fails the check."""

from __future__ import annotations

import re

ANY = "*"
ALLOWED: dict[str, set[str] | str] = {
    "ExifTool": {"ExifToolVersion"},
    "System": ANY,  # file name, size and dates of the file on this disk (not stored in the file)
    "File": {"FileType", "FileTypeExtension", "MIMEType", "ImageWidth", "ImageHeight", "EncodingProcess",
             "BitsPerSample", "ColorComponents", "YCbCrSubSampling", "ExifByteOrder", "BMPVersion", "Planes",
             "BitDepth", "Compression", "ImageLength", "PixelsPerMeterX", "PixelsPerMeterY", "NumColors",
             "NumImportantColors"},
    "Composite": {"ImageSize", "Megapixels", "AvgBitrate", "Rotation", "Duration"},
    "PNG": {"ImageWidth", "ImageHeight", "BitDepth", "ColorType", "Compression", "Filter", "Interlace",
            "Transparency", "Gamma", "SRGBRendering"},
    "IFD0": {"ImageWidth", "ImageHeight", "BitsPerSample", "Compression", "PhotometricInterpretation",
             "StripOffsets", "SamplesPerPixel", "RowsPerStrip", "StripByteCounts", "PlanarConfiguration",
             "ExtraSamples", "Predictor", "SampleFormat"},
    "QuickTime": {"MajorBrand", "MinorVersion", "CompatibleBrands", "Free", "Wide", "MediaDataSize",
                  "MediaDataOffset", "MediaData", "MovieHeaderVersion", "CreateDate", "ModifyDate", "TimeScale",
                  "Duration", "PreferredRate", "PreferredVolume", "MatrixStructure", "PreviewTime",
                  "PreviewDuration", "PosterTime", "SelectionTime", "SelectionDuration", "CurrentTime",
                  "NextTrackID", "HandlerType", "HandlerVendorID", "HEVCConfigurationVersion",
                  "GeneralProfileSpace", "GeneralTierFlag", "GeneralProfileIDC", "GenProfileCompatibilityFlags",
                  "ConstraintIndicatorFlags", "GeneralLevelIDC", "MinSpatialSegmentationIDC", "ParallelismType",
                  "ChromaFormat", "BitDepthLuma", "BitDepthChroma", "AverageFrameRate", "ConstantFrameRate",
                  "NumTemporalLayers", "TemporalIDNested", "ColorProfiles", "ColorPrimaries",
                  "TransferCharacteristics", "MatrixCoefficients", "VideoFullRangeFlag", "ImageSpatialExtent",
                  "ImagePixelDepth", "Rotation"},
    "Meta": {"PrimaryItemReference"},
    "Track": {"TrackHeaderVersion", "TrackCreateDate", "TrackModifyDate", "TrackID", "TrackDuration", "TrackLayer",
              "TrackVolume", "MatrixStructure", "ImageWidth", "ImageHeight", "Unknown_edts", "MediaHeaderVersion",
              "MediaCreateDate", "MediaModifyDate", "MediaTimeScale", "MediaDuration", "MediaLanguageCode",
              "HandlerClass", "HandlerType", "HandlerDescription", "GraphicsMode", "OpColor", "CompressorID",
              "VendorID", "SourceImageWidth", "SourceImageHeight", "XResolution", "YResolution", "CompressorName",
              "BitDepth", "AVCConfiguration", "BufferSize", "MaxBitrate", "AverageBitrate", "VideoFrameRate",
              "SyncSampleTable", "CompositionTimeToSample", "SampleToChunk", "SampleSizes", "ChunkOffset",
              "TimeToSampleTable", "Balance", "AudioFormat", "AudioChannels", "AudioBitsPerSample",
              "AudioSampleRate", "PurchaseFileFormat", "Unknown_mp4a", "Unknown_esds", "Unknown_btrt",
              "LayoutFlags", "SampleGroupDescription", "SampleToGroup", "PixelAspectRatio", "ColorRepresentation",
              "TrackNumber", "TrackUID", "TrackLacing", "TrackLanguage", "TrackDefault", "CodecID", "TrackType",
              "VideoScanType", "DisplayUnit", "MaxBlockAdditionID", "CodecPrivate", "DefaultDuration",
              "Matroska_0x16bb", "Matroska_0x15b0", "Matroska_0x16aa", "Unknown_sgpd", "Unknown_sbgp", "VideoCodec", "CleanAperture"},
    "Matroska": {"EBMLVersion", "EBMLReadVersion", "EBMLMaxIDLength", "EBMLMaxSizeLength", "DocType",
                 "DocTypeVersion", "DocTypeReadVersion", "CRC-32", "SeekID", "SeekPosition", "TimecodeScale",
                 "MuxingApp", "WritingApp", "Duration", "TagTrackUID", "Encoder"},
    "RIFF": {"FrameRate", "MaxDataRate", "FrameCount", "StreamCount", "ImageWidth", "ImageHeight", "StreamType",
             "VideoCodec", "VideoFrameRate", "VideoFrameCount", "Quality", "SampleSize", "Unknown_JUNK",
             "AudioCodec", "AudioSampleRate", "AudioSampleCount", "Encoding", "NumChannels", "SampleRate",
             "AvgBytesPerSec", "BitsPerSample"},
}
# Date tags are allowed only when empty (ffmpeg's bit-exact mode writes zero dates).
ZERO_DATES = {"CreateDate", "ModifyDate", "TrackCreateDate", "TrackModifyDate", "MediaCreateDate", "MediaModifyDate"}
ZERO_DATE_VALUES = {"0000:00:00 00:00:00", "", None}
# Writer strings that are allowed exactly (encoder names, never free text from the input).
FIXED_VALUES = {"HandlerDescription": {"VideoHandler", "SoundHandler", "DataHandler"},
                "Encoder": {"Lavc libx264", "Lavc libvpx-vp9", "Lavc aac", "Lavc libopus"},
                "CompressorName": {"Lavc libx264", ""}, "MuxingApp": {"Lavf"}, "WritingApp": {"Lavf"}}


def group_of(group: str) -> str:
    """Track1, Track2 ... -> Track."""
    return re.sub(r"^Track\d+$", "Track", group)


def disallowed(key: str, value: object, extra: frozenset[str] = frozenset()) -> str | None:
    """Why tag `Group:Name` with this value may not be released, or None when the allow-list permits it."""
    group, _, name = key.partition(":")
    if key in extra or name in extra:
        return None
    allowed = ALLOWED.get(group_of(group))
    if allowed is None:
        return f"tag {group}:{name}: no {group} metadata may be released"
    if allowed != ANY and name not in allowed:
        return f"tag {group}:{name} is outside the allow-list"
    if name in ZERO_DATES and value not in ZERO_DATE_VALUES:
        return f"tag {group}:{name} carries a date"
    if name in FIXED_VALUES and value not in FIXED_VALUES[name]:
        return f"tag {group}:{name} carries free text"
    return None
