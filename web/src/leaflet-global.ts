// Leaflet plug-ins (markercluster, heat) extend the global `L`; this module runs first.
import L from 'leaflet';

(window as unknown as { L: typeof L }).L = L;
export default L;
