/**
 * Warden's version, from package.json. A JSON import (not a runtime read relative to this file)
 * so that it stays right both from the sources and from the bundle in dist/, which sits at a
 * different depth.
 */
import pkg from '../package.json' with { type: 'json' };

export const version: string = pkg.version;
