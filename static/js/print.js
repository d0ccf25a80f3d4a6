/*
 * print.js – shows the "Afdrukken" (print) buttons (.js-print), which are hidden
 * in the markup because they need JavaScript, and makes them open the browser's
 * print dialog. Without JavaScript the page tells people to use the browser's
 * own print command instead (.no-js-hint, hidden once <html> has class "js").
 * Plain ES2017, strict mode, no globals.
 */
'use strict';

document.documentElement.classList.add('js');

(() => {
  const init = () => {
    document.querySelectorAll('.js-print').forEach((button) => {
      button.hidden = false;
      button.addEventListener('click', (event) => {
        event.preventDefault();
        window.print();
      });
    });
  };

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
