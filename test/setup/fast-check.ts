// Property tests span the whole range they name. Without this, fast-check generates at most about ten elements
// whatever `maxLength` says (its default size is "small"): `fc.uint8Array({ maxLength: 1200 })` never made an
// extended APDU, and a 16-byte threshold in toHex was never crossed.
import fc from 'fast-check';

fc.configureGlobal({ defaultSizeToMaxWhenMaxSpecified: true });
