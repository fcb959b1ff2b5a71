// The pipeline's configuration as the screens need it: units with both names, 766 groups and bands.
import { getJSON } from './api.js';
import { pick } from './i18n.js';

export const config = {province: null, timezone: 'Asia/Ho_Chi_Minh', units: [], byCode: new Map(), index766: null};

export async function loadConfig() {
  const c = await getJSON('config');
  Object.assign(config, c);
  config.byCode = new Map(c.units.map((u) => [u.code, u]));
  return config;
}

export const unitName = (code) => (config.byCode.has(code) ? pick(config.byCode.get(code), 'name') : code);
export const unitsOf = (level) => config.units.filter((u) => u.level === level);
export const band = (code) => (config.index766 ? config.index766.bands.find((b) => b.code === code) : null);
