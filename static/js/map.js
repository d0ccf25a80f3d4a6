/*
 * map.js – progressive enhancement of the results map (directory/map.html).
 *
 * Without JavaScript, without Leaflet, or when no result has coordinates, the
 * map stays hidden and the numbered list is the whole page. Otherwise the map
 * shows one marker per spot (numbered like the list, with a count where results share
 * an address), each with a popup that links to the service pages; the list below stays the primary content.
 *
 * The map container (#kaart, div.map[hidden]) carries:
 *   data-list          id of the <ol> with the results (li.listing with data-lat,
 *                      data-lon, data-name, data-url, data-address, data-position,
 *                      optional data-municipality: "Gemeente Rhenen" of a neighbour's listing)
 *   data-tiles         tile URL template; empty = markers on a plain background
 *   data-attribution   tile attribution (plain text)
 *   data-center-lat/-lon  optional: the searched place, drawn as a yellow circle
 *   data-center-label  optional: its name ("Uw plek" / "Your place" by default)
 *   data-label         accessible name of the map region
 *
 * Plain ES2017, strict mode, no build step. The only global read is `L`
 * (Leaflet, loaded from static/vendor/leaflet/ before this file); nothing is
 * added to the global scope. Page data only ever reaches the DOM as text
 * (textContent), never as HTML.
 */
'use strict';

document.documentElement.classList.add('js');

(() => {
  const EN = (document.documentElement.lang || '').toLowerCase().startsWith('en');
  const TEXT = EN
    ? { here: 'Your place', zoomIn: 'Zoom in', zoomOut: 'Zoom out', close: 'Close',
      here_many: (count) => `${count} results at this spot` }
    : { here: 'Uw plek', zoomIn: 'Inzoomen', zoomOut: 'Uitzoomen', close: 'Sluiten',
      here_many: (count) => `${count} resultaten op deze plek` };

  const toNumber = (value) => {
    if (value === undefined || value === null || String(value).trim() === '') {
      return null;
    }
    const number = Number(value);
    return Number.isFinite(number) ? number : null;
  };

  const validLatLon = (lat, lon) =>
    lat !== null && lon !== null && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;

  // Leaflet's attribution control takes HTML. The attribution comes from the
  // site's configuration, but it is escaped anyway so it can only be text.
  const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (ch) => (
    { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]
  ));

  /** The results that have coordinates, read from the list items' data attributes. */
  const readListings = (list) => Array.from(list.querySelectorAll('li.listing'))
    .map((item, index) => {
      const lat = toNumber(item.dataset.lat);
      const lon = toNumber(item.dataset.lon);
      if (!validLatLon(lat, lon)) {
        return null;
      }
      let name = (item.dataset.name || '').trim();
      if (!name) {
        const title = item.querySelector('.listing__title');
        name = title ? title.textContent.trim() : '';
      }
      return {
        lat,
        lon,
        name,
        url: item.dataset.url || '',
        address: (item.dataset.address || '').trim().replace(/^,\s*|,\s*$/g, ''),
        position: (item.dataset.position || String(index + 1)).trim(),
        municipality: (item.dataset.municipality || '').trim()
      };
    })
    .filter(Boolean);

  /** Results at exactly the same spot share one popup and one number label. */
  const groupByPlace = (listings) => {
    const groups = new Map();
    listings.forEach((listing) => {
      const key = `${listing.lat.toFixed(6)},${listing.lon.toFixed(6)}`;
      if (!groups.has(key)) {
        groups.set(key, []);
      }
      groups.get(key).push(listing);
    });
    return Array.from(groups.values());
  };

  const entryLine = (listing) => {
    const line = document.createElement('p');
    const number = document.createElement('span');
    number.textContent = `${listing.position}. `;
    line.appendChild(number);
    if (listing.url) {
      const link = document.createElement('a');
      link.href = listing.url;
      link.textContent = listing.name;
      line.appendChild(link);
    } else {
      const strong = document.createElement('strong');
      strong.textContent = listing.name;
      line.appendChild(strong);
    }
    if (listing.municipality) {
      // a listing of a neighbouring municipality (issue #20): "Gemeente Rhenen", as on its card
      line.appendChild(document.createTextNode(` (${listing.municipality})`));
    }
    return line;
  };

  /** Popup: "3. <a>Name</a>" for every result at this spot, then the address. */
  const popupContent = (group) => {
    const box = document.createElement('div');
    box.className = 'map-popup';
    group.forEach((listing) => box.appendChild(entryLine(listing)));
    if (group[0].address) {
      const address = document.createElement('p');
      address.className = 'map-popup__address';
      address.textContent = group[0].address;
      box.appendChild(address);
    }
    return box;
  };

  const translateCloseButton = (event) => {
    const container = event.popup && event.popup.getElement && event.popup.getElement();
    const button = container && container.querySelector('.leaflet-popup-close-button');
    if (button) {
      button.setAttribute('aria-label', TEXT.close);
      button.title = TEXT.close;
    }
  };

  const init = () => {
    const container = document.getElementById('kaart');
    if (!container) {
      return;
    }
    const L = window.L;
    if (!L || typeof L.map !== 'function' || typeof L.marker !== 'function') {
      return; // Leaflet did not load: the list alone is enough.
    }
    const list = document.getElementById(container.dataset.list || '');
    if (!list) {
      return;
    }
    const listings = readListings(list);
    if (listings.length === 0) {
      return; // nothing to put on a map
    }

    const reduceMotion = typeof window.matchMedia === 'function' &&
      window.matchMedia('(prefers-reduced-motion: reduce)').matches;

    // Show the container first so Leaflet can measure it.
    container.hidden = false;
    container.setAttribute('role', 'region');
    if (container.dataset.label) {
      container.setAttribute('aria-label', container.dataset.label);
    }

    const touch = Boolean(L.Browser && L.Browser.mobile);
    const map = L.map(container, {
      zoomControl: false,
      // Never take over page scrolling: zoom with the buttons or the + and - keys,
      // and on touch screens one finger scrolls the page, not the map.
      scrollWheelZoom: false,
      dragging: !touch,
      tapHold: false,
      zoomAnimation: !reduceMotion,
      fadeAnimation: !reduceMotion,
      markerZoomAnimation: !reduceMotion,
      inertia: !reduceMotion,
      keyboard: true
    });

    L.control.zoom({ position: 'topleft', zoomInTitle: TEXT.zoomIn, zoomOutTitle: TEXT.zoomOut }).addTo(map);
    L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map);

    const tiles = (container.dataset.tiles || '').trim();
    if (tiles) {
      L.tileLayer(tiles, {
        attribution: escapeHtml(container.dataset.attribution || ''),
        maxZoom: 19,
        minZoom: 6
      }).addTo(map);
    }

    // One pin per spot (#14): results at the same address share it, its popup lists them all, and
    // its label gives their list numbers and, for more than one, how many there are.
    const points = [];
    groupByPlace(listings).forEach((group) => {
      const numbers = group.map((item) => item.position).join(', ');
      const label = group.length > 1
        ? `${TEXT.here_many(group.length)}: ${group.map((item) => `${item.position}. ${item.name}`).join('; ')}`
        : `${group[0].position}. ${group[0].name}`;
      const marker = L.marker([group[0].lat, group[0].lon], {
        title: label,
        alt: label,
        keyboard: true,
        riseOnHover: true
      });
      marker.bindPopup(popupContent(group), {
        // narrow enough to fit between the pan paddings below on a phone: the content's width, its margins
        // (about 40 px) and 80 px of padding within the map (at 96 px less it stuck out of a 324 px map)
        maxWidth: Math.max(140, Math.min(300, container.clientWidth - 136)),
        keepInView: true,
        // clear of the zoom buttons (top left) and the attribution (bottom right)
        autoPanPaddingTopLeft: [64, 16],
        autoPanPaddingBottomRight: [16, 32]
      });
      const number = document.createElement('span');
      number.textContent = group.length > 1 ? `${numbers} (${group.length})` : numbers;
      marker.bindTooltip(number, {
        permanent: true,
        direction: 'right',
        offset: [2, 0],
        className: group.length > 1 ? 'map-number map-number--group' : 'map-number',
        interactive: false
      });
      marker.addTo(map);
      points.push([group[0].lat, group[0].lon]);
    });

    const centerLat = toNumber(container.dataset.centerLat);
    const centerLon = toNumber(container.dataset.centerLon);
    if (validLatLon(centerLat, centerLon)) {
      const hereLabel = container.dataset.centerLabel || TEXT.here;
      const here = L.circleMarker([centerLat, centerLon], {
        radius: 10,
        color: '#0b0c0c',
        weight: 3,
        fillColor: '#ffdd00',
        fillOpacity: 1,
        interactive: false
      }).addTo(map);
      const path = here.getElement && here.getElement();
      if (path) {
        const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
        title.textContent = hereLabel;
        path.appendChild(title);
      }
      const hereText = document.createElement('span');
      hereText.textContent = hereLabel;
      here.bindTooltip(hereText, { permanent: true, direction: 'left', offset: [-12, 0], className: 'map-here' });
      points.push([centerLat, centerLon]);
    }

    map.on('popupopen', translateCloseButton);
    map.fitBounds(L.latLngBounds(points), {
      // room for the pin above its point and the number to its right
      paddingTopLeft: [30, 50],
      paddingBottomRight: [60, 20],
      maxZoom: 15,
      animate: false
    });
  };

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
