// leaflet.heat ships no types.
import * as L from 'leaflet';

declare module 'leaflet' {
  type HeatLatLngTuple = [number, number, number];
  interface HeatMapOptions {
    minOpacity?: number; maxZoom?: number; max?: number; radius?: number; blur?: number;
    gradient?: Record<number, string>;
  }
  interface HeatLayer extends L.Layer {
    setLatLngs(latlngs: (L.LatLng | HeatLatLngTuple)[]): this;
    addLatLng(latlng: L.LatLng | HeatLatLngTuple): this;
  }
  function heatLayer(latlngs: (L.LatLng | HeatLatLngTuple)[], options?: HeatMapOptions): HeatLayer;
}
declare module 'leaflet.heat';
